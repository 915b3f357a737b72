/* The benchmarks' floor: a preloaded library that does nothing, linked like libagentguard.so. */
int agentguard_floor_unused;
