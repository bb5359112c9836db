package settings

// LoadIntake is Intake without the cache: the benchmark's baseline.
var LoadIntake = (*Service).loadIntake
