"""consortsim."""
