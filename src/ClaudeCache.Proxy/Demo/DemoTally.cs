using System.Globalization;
using ClaudeCache.Anthropic;

namespace ClaudeCache.Proxy.Demo;

/// <summary>What the demo counted: outcomes, tokens served from the cache instead of the API, and time.</summary>
internal sealed class DemoTally
{
    private int _hits;
    private int _total;
    private long _tokensFromCache;
    private long _tokensFromApi;
    private TimeSpan _hitTime;
    private TimeSpan _missTime;

    public void Add(string status, TokenUsage usage, TimeSpan elapsed)
    {
        _total++;
        var tokens = usage.TotalInputTokens + usage.OutputTokens;
        if (status == "HIT")
        {
            _hits++;
            _tokensFromCache += tokens;
            _hitTime += elapsed;
        }
        else
        {
            _tokensFromApi += tokens;
            _missTime += elapsed;
        }
    }

    public async Task PrintAsync(TextWriter output, int upstreamCalls)
    {
        var misses = _total - _hits;
        var averageHit = _hits == 0 ? 0 : _hitTime.TotalMilliseconds / _hits;
        var averageMiss = misses == 0 ? 0 : _missTime.TotalMilliseconds / misses;
        var share = _tokensFromCache + _tokensFromApi == 0 ? 0 : (double)_tokensFromCache / (_tokensFromCache + _tokensFromApi);
        string[] lines =
        [
            $"Requests          {_total}",
            $"Hits / misses     {_hits} / {misses}   (hit ratio {(double)_hits / Math.Max(1, _total):P0})",
            $"Upstream calls    {upstreamCalls}   (without the cache: {_total})",
            $"Tokens not billed {_tokensFromCache:N0} of {_tokensFromCache + _tokensFromApi:N0}   ({share:P0} of the tokens this workload would have paid for)",
            $"Average latency   hit {averageHit:0.0} ms, miss {averageMiss:0} ms",
            $"Time saved        {TimeSpan.FromMilliseconds(_hits * Math.Max(0, averageMiss - averageHit)).TotalSeconds:0.0} s",
        ];
        foreach (var line in lines)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{line}")).ConfigureAwait(false);
        }
    }
}
