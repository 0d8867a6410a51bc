using Microsoft.Extensions.Caching.Memory;

namespace ClaudeCache.PromptCaching;

/// <summary>What kind of prompt point a prefix ended at when the record first saw it.</summary>
internal enum PrefixKind
{
    /// <summary>The end of the tools or of the system prompt: what requests of one app share.</summary>
    Shape,

    /// <summary>A large leading user block followed by a question: a document asked about more than once.</summary>
    Document,

    /// <summary>The end of the first user turn of a conversation.</summary>
    FirstTurn,

    /// <summary>The end of a later user turn (the request continues a conversation or an agent loop).</summary>
    NextTurn,
}

/// <summary>One prefix the record has seen: when, how often, and what the proxy believes Anthropic holds for it.</summary>
internal sealed class PrefixSighting(PrefixKind kind, UInt128 shape, DateTimeOffset seen)
{
    public PrefixKind Kind { get; } = kind;

    /// <summary>The <see cref="PromptOutline.Shape"/> of the request that first showed it.</summary>
    public UInt128 Shape { get; } = shape;

    public DateTimeOffset FirstSeen { get; } = seen;

    public DateTimeOffset LastSeen { get; set; } = seen;

    /// <summary>When it was seen before <see cref="LastSeen"/>.</summary>
    public DateTimeOffset PreviousSeen { get; set; } = seen;

    public int Count { get; set; } = 1;

    /// <summary>Whether a later request came back with this prefix (counted once in the shape's statistics).</summary>
    public bool Returned { get; set; }

    /// <summary>Until when Anthropic should hold an entry for it (written or read through one of our markers).</summary>
    public DateTimeOffset LiveUntil { get; set; }

    /// <summary>The TTL of the entry the proxy last wrote or read for it.</summary>
    public TimeSpan Ttl { get; set; }

    /// <summary>A call writing it whose response has not begun: later writers wait for it, then read.</summary>
    public Task? Writing { get; set; }
}

/// <summary>How often new prefixes of one kind, under one shape, came back: the record's prediction of reuse.</summary>
internal sealed class ReuseStatistics
{
    public int New { get; set; }

    public int Returned { get; set; }

    /// <summary>Of <see cref="Returned"/>, those that came back more than five minutes after they were last seen.</summary>
    public int ReturnedLate { get; set; }
}

/// <summary>
/// The learning record (issue 11 item 3): a bounded, per-tenant, per-model memory of the prompt prefixes seen at
/// candidate breakpoint positions — when each was last seen, how often it came back, whether Anthropic should hold
/// it — and, per kind of position and per shape (tools + system), how often new prefixes came back. Bounded by entry
/// count with least-recently-used eviction (<c>MemoryCache</c> with a size limit), and forgetful: a prefix not seen
/// for more than an hour (the longest TTL) carries no information and expires.
/// </summary>
internal sealed class PrefixRecord : IDisposable
{
    /// <summary>How long a prefix is remembered after it was last seen: the longest TTL, plus a margin.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromMinutes(70);

    private readonly MemoryCache _prefixes;
    private readonly MemoryCache _statistics;
    private readonly Lock _lock = new();

    public PrefixRecord(int maxEntries, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 16);
        _prefixes = new MemoryCache(new MemoryCacheOptions { SizeLimit = maxEntries, CompactionPercentage = 0.1, Clock = new Clock(time) });
        _statistics = new MemoryCache(new MemoryCacheOptions { SizeLimit = Math.Max(16, maxEntries / 8), CompactionPercentage = 0.1, Clock = new Clock(time) });
    }

    /// <summary>Prefixes remembered now.</summary>
    public int Count => _prefixes.Count;

    /// <summary>Every read and update of sightings and statistics happens under this lock (planning is short).</summary>
    public Lock Sync => _lock;

    public PrefixSighting? Find(UInt128 identity) => _prefixes.TryGetValue(identity, out PrefixSighting? sighting) ? sighting : null;

    public PrefixSighting Add(UInt128 identity, PrefixKind kind, UInt128 shape, DateTimeOffset now)
    {
        var sighting = new PrefixSighting(kind, shape, now);
        _prefixes.Set(identity, sighting, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = Horizon });
        Statistics(kind, shape).New++;
        return sighting;
    }

    /// <summary>Touches a sighting so that it stays remembered, as its sliding expiration needs.</summary>
    public void Touch(UInt128 identity) => _prefixes.TryGetValue(identity, out _);

    public ReuseStatistics Statistics(PrefixKind kind, UInt128 shape)
    {
        var key = (kind, shape);
        if (!_statistics.TryGetValue(key, out ReuseStatistics? statistics) || statistics is null)
        {
            statistics = new ReuseStatistics();
            _statistics.Set(key, statistics, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromHours(24) });
        }

        return statistics;
    }

    public void Dispose()
    {
        _prefixes.Dispose();
        _statistics.Dispose();
    }

    private sealed class Clock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
