import AblateRun
import AblateTestSupport
import Foundation
import Testing

/// The live view's "last line a running task printed".
@Suite struct LastLineTests {
    @Test func progressBarsRedrawnWithCarriageReturnsShowTheirLatestState() {
        #expect(LastLine.last(in: "Collecting torch\nDownloading 10%\rDownloading 55%\r") == "Downloading 55%")
    }

    @Test func blankLinesAndTerminalEscapesAreSkipped() {
        #expect(LastLine.last(in: "\u{1B}[32mInstalling collected packages\u{1B}[0m\n\n  \n") == "Installing collected packages")
        #expect(LastLine.last(in: "") == nil)
    }

    @Test func onlyTheEndOfALongLogIsRead() throws {
        let path = Scratch.path("last-line")
        try (String(repeating: "old line\n", count: 10_000) + "the latest\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(LastLine.of(file: path, window: 64) == "the latest")
        #expect(LastLine.of(file: path + ".missing") == nil)
    }
}
