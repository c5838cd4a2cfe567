/**
 * V8 flags the operator runs with, in the image (`Dockerfile` ENTRYPOINT) and wherever the project
 * starts it (tests, demo, benchmarks, through `hack/operator-process.ts`); a test keeps the two equal.
 *
 * `--max-semi-space-size=4` (MB) caps V8's young generation. Listing a large cluster allocates a
 * page of objects at a time and forgets it; with the default (up to 16 MB per semi-space on 64-bit)
 * the young generation grows to several times the live data before it is scavenged, and what
 * survives a scavenge grows the old generation too. Measured on 100,000 pre-existing objects
 * (the `make bench` scale scenario, two runs each): peak RSS 162–208 MB with the default, 135–138
 * with 8 MB, 130–133 with 4 MB, 155–180 with 2 MB and 162–164 with 1 MB (a young generation
 * smaller than a list page promotes the page it is working on). Time to ready did not get worse.
 * V8 sizes its heap when the process starts, so these are command-line flags, not settings.
 *
 * `--max-old-space-size=128` (MB) caps the old generation at half the Deployment's memory limit
 * (256 Mi; ADR 0028, hack/container.ts). Left to itself Node sizes the heap from the cgroup limit
 * as V8 does from physical memory, but never below V8's 256 MB floor: in a 256 Mi container the
 * heap alone could fill the limit, and the kernel kills the process before V8 collects hard. With
 * the cap, V8 collects as the heap nears 128 MB, leaving the rest of the limit to the young
 * generation (3 × 4 MB), code, buffers and sockets.
 */
export const OPERATOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--max-old-space-size=128'];
