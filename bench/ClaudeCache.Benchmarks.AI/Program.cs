using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(ClaudeCache.Benchmarks.AI.ChatCacheHitBenchmarks).Assembly).Run(args);
