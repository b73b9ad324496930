import AblateCore
import Testing

/// Text padded to a column's width: zeros or spaces before, spaces after; longer text as it is.
@Suite struct PaddingTests {
    @Test func textIsPaddedToTheWidthAndLongerTextIsLeftAlone() {
        #expect("7".leftPadded(to: 3) == "007")
        #expect("7".leftPadded(to: 3, with: " ") == "  7")
        #expect("failed".rightPadded(to: 11) == "failed     ")
        #expect("interrupted".rightPadded(to: 11) == "interrupted")
        #expect("will retry!!".rightPadded(to: 11) == "will retry!!")
    }
}
