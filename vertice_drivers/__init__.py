"""What driver authors build on, shipped with the core: the simulated cloud and the testkit."""
