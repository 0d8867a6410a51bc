using BenchmarkDotNet.Running;

// `--quick` is shorthand for BenchmarkDotNet's short job (1 launch, 3 warm-ups, 3 iterations): the whole suite
// then finishes in a few minutes. Any other argument goes to BenchmarkSwitcher (--filter, --job, --list flat, ...).
var forwarded = args.Contains("--quick")
    ? [.. args.Where(a => a != "--quick"), "--job", "short"]
    : args;
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(forwarded);
