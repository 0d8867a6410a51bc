namespace ClaudeCache.Costs;

/// <summary>
/// Bounds on what the ledger keeps, so that values a client controls (the <c>x-cache-context</c> header, the model
/// name, the tenant) cannot grow the ledger, the store or the reports without limit. Hosts copy these from
/// <c>ClaudeCache:Costs</c> and check them with <see cref="Validate"/> at start-up.
/// </summary>
public sealed record LedgerLimits
{
    /// <summary>The defaults: 64 characters, 100 values per dimension per hour, 35 days of minutes, 400 days of days.</summary>
    public static readonly LedgerLimits Default = new();

    /// <summary>Longest model, context or tenant value kept; longer ones are cut to this length. Default 64.</summary>
    public int MaxValueLength { get; init; } = 64;

    /// <summary>
    /// Distinct values per client-controlled dimension (model, context, tenant) recorded per hour by one ledger; any
    /// further value that hour is recorded as <see cref="Other"/> (and counted in <c>claudecache.ledger.folded</c>).
    /// Default 100.
    /// </summary>
    public int MaxDistinctValuesPerHour { get; init; } = 100;

    /// <summary>How long per-minute rows are kept before they are folded into one row per day. Default 35 days.</summary>
    public TimeSpan MinuteRetention { get; init; } = TimeSpan.FromDays(35);

    /// <summary>How long per-day rows are kept before they are deleted. Default 400 days.</summary>
    public TimeSpan DayRetention { get; init; } = TimeSpan.FromDays(400);

    /// <summary>
    /// Most rows held in memory while the store is unreachable; beyond it the oldest are dropped (counted in
    /// <c>claudecache.ledger.dropped</c>, logged once per outage). Default 10,000 (a few MB). The request log holds
    /// ten times as many of its (smaller, per-request) rows.
    /// </summary>
    public int MaxPendingRows { get; init; } = 10_000;

    /// <summary>
    /// How long the request log (one row per request, no content: what <c>claudecache estimate</c> replays) keeps its
    /// rows. Default 7 days; zero turns the log off.
    /// </summary>
    public TimeSpan RequestLogRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Most rows the request log keeps; the oldest beyond it are deleted. Default 1,000,000 (about 100 MB in SQLite).</summary>
    public int RequestLogMaxRows { get; init; } = 1_000_000;

    /// <summary>The value recorded in place of a value beyond <see cref="MaxDistinctValuesPerHour"/>.</summary>
    public const string Other = "other";

    /// <summary>Every problem, each naming its key under <paramref name="sectionPath"/>; empty when valid.</summary>
    public IReadOnlyList<string> Validate(string sectionPath)
    {
        var problems = new List<string>();
        if (MaxValueLength is < 8 or > 1024)
        {
            problems.Add($"{sectionPath}:LedgerMaxValueLength must be between 8 and 1024, not {MaxValueLength}.");
        }

        if (MaxDistinctValuesPerHour is < 1 or > 100_000)
        {
            problems.Add($"{sectionPath}:LedgerMaxDistinctValuesPerHour must be between 1 and 100000, not {MaxDistinctValuesPerHour}.");
        }

        if (MinuteRetention < TimeSpan.FromDays(1) || MinuteRetention > TimeSpan.FromDays(3660))
        {
            problems.Add($"{sectionPath}:LedgerMinuteRetention must be between 1 day and 3660 days, not {MinuteRetention}.");
        }

        if (DayRetention < MinuteRetention || DayRetention > TimeSpan.FromDays(3660))
        {
            problems.Add($"{sectionPath}:LedgerDayRetention must be at least LedgerMinuteRetention and at most 3660 days, not {DayRetention}.");
        }

        if (MaxPendingRows is < 100 or > 10_000_000)
        {
            problems.Add($"{sectionPath}:LedgerMaxPendingRows must be between 100 and 10000000, not {MaxPendingRows}.");
        }

        if (RequestLogRetention != TimeSpan.Zero && (RequestLogRetention < TimeSpan.FromHours(1) || RequestLogRetention > TimeSpan.FromDays(400)))
        {
            problems.Add($"{sectionPath}:RequestLogRetention must be 0 (off) or between 1 hour and 400 days, not {RequestLogRetention}.");
        }

        if (RequestLogMaxRows is < 1_000 or > 100_000_000)
        {
            problems.Add($"{sectionPath}:RequestLogMaxRows must be between 1000 and 100000000, not {RequestLogMaxRows}.");
        }

        return problems;
    }
}
