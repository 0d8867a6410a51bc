using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Policy;

namespace ClaudeCache.Caching;

// Grace (entries kept past their TTL to answer when the upstream fails) and tombstones (why an entry went away, for
// x-cache-miss-reason): docs/serve-stale.md, docs/decisions/0011-serve-stale-and-miss-reasons.md.
public sealed partial class ResponseCache
{
    /// <summary>
    /// How long past its TTL an entry of a strategy is kept (<see cref="StrategyOptions.GetGrace"/>; set once at
    /// start-up). Entries promoted from the second tier are kept this long in memory. Default: not at all.
    /// </summary>
    public Func<CacheStrategy, TimeSpan> GraceOf { get; set; } = static _ => TimeSpan.Zero;

    /// <summary>Keys whose reason for going away this instance remembers (tests).</summary>
    internal int TombstoneCount => _tombstones.Count;

    /// <summary>
    /// Removes an entry from every tier and every instance's memory tier, and remembers why (here, and in a shared
    /// store that can hold tombstones, for <see cref="ResponseCacheOptions.TombstoneTimeToLive"/>), so the next
    /// request's <c>x-cache-miss-reason</c> says <paramref name="reason"/>: the one call for a single delete and for
    /// a bulk purge.
    /// </summary>
    public async ValueTask InvalidateAsync(CacheKey key, MissReason reason, CancellationToken cancellationToken)
    {
        var hex = key.ToHex();
        _memory.Remove(hex);
        _tombstones.Record(hex, reason);
        await RemoveFromSecondTierAsync(hex).ConfigureAwait(false);
        if (_secondTier is ITombstoneStore shared && _options.TombstoneTimeToLive > TimeSpan.Zero)
        {
            try
            {
                await shared.SetTombstoneAsync(hex, reason, _time.GetUtcNow() + _options.TombstoneTimeToLive, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Bookkeeping: a lost tombstone makes another instance's next miss read "new".
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _metrics.StoreError("write");
                Log.SecondTierWriteFailed(_logger, ex);
            }
        }

        await PublishEvictionAsync(hex).ConfigureAwait(false);
        if (reason == MissReason.Invalidated)
        {
            _metrics.Purged(PurgeKinds.OneKey, 1);
        }
    }

    private DateTimeOffset KeepUntil(CachedResponse response, TimeSpan grace)
    {
        var strategyGrace = GraceOf(response.Strategy);
        var keep = grace > strategyGrace ? grace : strategyGrace;
        return keep <= TimeSpan.Zero || DateTimeOffset.MaxValue - response.ExpiresAt <= keep ? response.ExpiresAt : response.ExpiresAt + keep;
    }

    /// <summary>Why a key has no entry: this instance's memory first, then the shared store's; <see cref="MissReason.New"/> when neither knows.</summary>
    private async ValueTask<MissReason> TombstoneAsync(string hex, CancellationToken cancellationToken)
    {
        if (_tombstones.Get(hex) is { } local)
        {
            return local;
        }

        if (_secondTier is not ITombstoneStore shared)
        {
            return MissReason.New;
        }

        try
        {
            return await shared.GetTombstoneAsync(hex, cancellationToken).ConfigureAwait(false) ?? MissReason.New;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _metrics.StoreError("read");
            Log.SecondTierReadFailed(_logger, ex);
            return MissReason.New;
        }
    }
}
