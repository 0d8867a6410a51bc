using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// Medians are what we quote (the machine is shared and noisy), so the Median column is always on.
// `--quick`: one launch, 3 warm-ups, 7 iterations — the whole suite then finishes in about five minutes.
// Every other argument goes to BenchmarkSwitcher (--filter, --job, --list flat, ...).
// `--compression`: the out-of-sample compression report on the answer corpus (CompressionReport), no timing.
if (args.Contains("--compression"))
{
    ClaudeCache.Benchmarks.CompressionReport.Run();
    return;
}

var quick = args.Contains("--quick");
var config = DefaultConfig.Instance.AddColumn(StatisticColumn.Median);
if (quick)
{
    config = config.AddJob(Job.ShortRun.WithIterationCount(7).WithId("Quick"));
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. args.Where(a => a != "--quick")], config);
