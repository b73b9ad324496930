"""The plan tests' stand-in for the stage runners: plans fingerprint this folder, not the real one."""
