import Testing

@testable import AblateRun

/// Which variables a command record hides: a name with a word that says secret, in any case.
@Suite struct SecretNamesTests {
    @Test func namesWithASecretWordAreSecretInAnyCase() {
        for name in ["HF_TOKEN", "OPENAI_API_KEY", "db_password", "Api_Key", "MY_AUTH", "AWS_SECRET_ACCESS_KEY", "PASSWD", "GOOGLE_CREDENTIALS"] {
            #expect(CommandRecord.isSecret(name), "\(name)")
        }
    }

    @Test func wordsThatOnlyContainASecretWordAreNot() {
        for name in ["TOKENIZERS_PARALLELISM", "KEYBOARD", "AUTHOR", "PATH", "MONKEY_COUNT", "", "_", "HF_HOME", "ÄUTH"] {
            #expect(!CommandRecord.isSecret(name), "\(name)")
        }
    }
}
