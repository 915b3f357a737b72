#pragma once
// The exec fast path (an unwatched launch: the hook, the guard-variable check, identify and the
// executable check) is placed together in .text.hot, which the linker keeps contiguous. A forked
// child that launches something faults in every 64 KiB window of our code it runs (fault-around
// maps 16 pages per fault), and each fault costs microseconds in a VM; spread over the library the
// path touched three windows, together it touches one.
#define AGENTGUARD_HOT __attribute__((hot))
