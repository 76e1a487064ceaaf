// The ranking kernel (RankingWorkspace, the radix keys, sources and sinks) lives in its own target, RankKernel,
// which knows nothing of the method; `import Rambo` brings it along.
@_exported import RankKernel
