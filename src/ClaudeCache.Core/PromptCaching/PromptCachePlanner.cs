using System.Text.Json;
using ClaudeCache.Anthropic;
using ClaudeCache.Caching;

namespace ClaudeCache.PromptCaching;

/// <summary>
/// Places <c>cache_control</c> breakpoints on the calls that go upstream, learning from the traffic where Anthropic's
/// prompt cache will be read (issue 11; docs/prompt-caching.md). A prefix is written only when a read is expected
/// before it expires: it came back before, or new prefixes of its kind under the same shape (tools + system) usually
/// come back. It marks what Anthropic already holds so calls read it, holds a call that would write a prefix another
/// call is writing until that call's response begins, and stops writing for a tenant and model whose markers cost
/// more than they saved.
/// </summary>
public sealed class PromptCachePlanner : IDisposable
{
    private static readonly TimeSpan FiveMinutes = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan OneHour = TimeSpan.FromHours(1);

    private readonly PromptCachingOptions _options;
    private readonly TimeProvider _time;
    private readonly PrefixRecord _record;
    private readonly SavingsValve _valve;
    private readonly IDistributedCoalescer? _instances;
    private long _waits;
    private long _waiting;

    /// <summary>
    /// A planner with its own bounded record. With <paramref name="instances"/> (the shared store's lease, on Redis),
    /// a call that would write a cold prefix another instance is writing waits for it too, as it does for a call in
    /// this process.
    /// </summary>
    public PromptCachePlanner(PromptCachingOptions options, TimeProvider? timeProvider = null, IDistributedCoalescer? instances = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _instances = instances;
        _time = timeProvider ?? TimeProvider.System;
        _record = new PrefixRecord(options.RecordMaxEntries, _time);
        _valve = new SavingsValve(options.ValveWindow);
    }

    /// <summary>Prefixes the record remembers now (bounded by <see cref="PromptCachingOptions.RecordMaxEntries"/>).</summary>
    public int RememberedPrefixes => _record.Count;

    /// <summary>Calls that waited for another call writing the same cold prefix (since start).</summary>
    public long ColdPrefixWaits => Interlocked.Read(ref _waits);

    /// <summary>Calls waiting right now for another call writing the same cold prefix.</summary>
    public long Waiting => Interlocked.Read(ref _waiting);

    /// <summary>Tenants and models whose markers cost more than they saved over the window: no new prefixes written there.</summary>
    public IReadOnlyList<string> ClosedValves => _valve.Closed();

    /// <summary>
    /// Plans the breakpoints of one upstream call. <paramref name="mode"/> is the request's
    /// <c>x-cache-prompt-breakpoints</c> (null or empty: as configured); <paramref name="partition"/> the tenant
    /// partition the record is kept per, and <paramref name="tenant"/> its short tag (for stats; default the
    /// partition). Returns the call to make: the body to send (the caller's own when nothing is planned) and what to
    /// do when it is sent.
    /// </summary>
    public PromptCacheCall Plan(ReadOnlyMemory<byte> body, RequestEndpoint endpoint, string partition, string? mode, string? tenant = null)
    {
        ArgumentNullException.ThrowIfNull(partition);
        if (!IsOn(endpoint, mode, out _))
        {
            return PromptCacheCall.Unchanged(body);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return PromptCacheCall.Unchanged(body);
        }

        using (document)
        {
            return Plan(document.RootElement, body.Length, endpoint, partition, mode, tenant) ?? PromptCacheCall.Unchanged(body);
        }
    }

    /// <summary>
    /// <see cref="Plan(ReadOnlyMemory{byte}, RequestEndpoint, string, string?, string?)"/> on a body the caller has
    /// parsed already (the engine's step 2), <paramref name="length"/> bytes long: a marked call with a new body, or
    /// null when nothing is planned (send the caller's bytes).
    /// </summary>
    internal PromptCacheCall? Plan(JsonElement root, long length, RequestEndpoint endpoint, string partition, string? mode, string? tenant)
    {
        if (!IsOn(endpoint, mode, out var resolved) || root.ValueKind != JsonValueKind.Object || BreakpointPlanner.HasCacheControl(root))
        {
            return null;
        }

        var outline = PromptOutline.Read(root, partition);
        var valveKey = (tenant ?? partition) + "/" + outline.Model;
        var choice = Choose(outline, _valve.IsOpen(valveKey), markAll: resolved == PromptBreakpointModes.Always);
        if (choice.Plan.Count == 0)
        {
            return null;
        }

        var planned = BreakpointWriter.Write(root, choice.Plan, (int)Math.Min(length, int.MaxValue - 1024));
        return new PromptCacheCall(planned, this, choice, valveKey);
    }

    private bool IsOn(RequestEndpoint endpoint, string? mode, out string resolved)
    {
        resolved = PromptBreakpointModes.Resolve(mode, _options);
        return resolved != PromptBreakpointModes.Off && endpoint == RequestEndpoint.Messages;
    }

    /// <summary>Decides the marks under the record's lock, and registers this call as the writer of its cold prefixes.</summary>
    private PlannedMarks Choose(PromptOutline outline, bool valveOpen, bool markAll)
    {
        var now = _time.GetUtcNow();
        var model = outline.Model;
        var marks = new List<(PromptPoint Point, PrefixSighting Sighting)>(BreakpointPlanner.MaxBreakpoints);

        // "always": every candidate is worth marking, predicted or not, valve or not (a pre-warm writes before any
        // request came back); what it writes is recorded all the same.
        valveOpen |= markAll;
        var writes = new List<(PrefixSighting Sighting, PromptPoint Point)>();
        var waitFor = new List<Task>();
        lock (_record.Sync)
        {
            // Observe every point first: a prefix that came back tells the statistics of its kind.
            var shapePoint = outline.SystemEnd ?? outline.ToolsEnd;
            var shape = Observe(shapePoint, PrefixKind.Shape, outline.Shape, now);
            var tools = outline.SystemEnd is not null ? Observe(outline.ToolsEnd, PrefixKind.Shape, outline.Shape, now) : shape;
            var document = Observe(outline.Document, PrefixKind.Document, outline.Shape, now);
            var turns = new List<Observed>(outline.UserTurns.Count);
            for (var i = 0; i < outline.UserTurns.Count; i++)
            {
                // Earlier turns are looked up, not added: only the last turn of a request is a candidate to write.
                var last = i == outline.UserTurns.Count - 1;
                turns.Add(Observe(outline.UserTurns[i], i == 0 ? PrefixKind.FirstTurn : PrefixKind.NextTurn, outline.Shape, now, add: last));
            }

            // The shape: the system prompt (with the tools before it), or the tools alone when only they came back.
            if (Qualifies(shapePoint, model) && Worth(shape, valveOpen, predicted: markAll))
            {
                marks.Add((shapePoint!.Value, shape.Sighting!));
            }
            else if (outline.SystemEnd is not null && Qualifies(outline.ToolsEnd, model) && Worth(tools, valveOpen, predicted: markAll))
            {
                marks.Add((outline.ToolsEnd!.Value, tools.Sighting!));
            }

            // A document asked about more than once.
            if (Qualifies(outline.Document, model) && Worth(document, valveOpen, markAll || Predicts(PrefixKind.Document, outline.Shape, priorReturned: 1, priorNew: 2)))
            {
                marks.Add((outline.Document!.Value, document.Sighting!));
            }

            // The last user turn, for the next turn to read; and the latest earlier point Anthropic holds, when the
            // last turn's lookback cannot reach it.
            if (turns.Count > 0)
            {
                var last = turns[^1];
                var kind = turns.Count == 1 ? PrefixKind.FirstTurn : PrefixKind.NextTurn;
                var predicted = kind == PrefixKind.NextTurn
                    ? Predicts(kind, outline.Shape, priorReturned: 2, priorNew: 3)
                    : Predicts(kind, outline.Shape, priorReturned: 0, priorNew: 1);
                var lastMarked = Qualifies(last.Point, model) && Worth(last, valveOpen, markAll || predicted);
                if (lastMarked)
                {
                    marks.Add((last.Point!.Value, last.Sighting!));
                }

                for (var i = turns.Count - 2; i >= 0; i--)
                {
                    var earlier = turns[i];
                    if (earlier.Sighting is { } held && (held.LiveUntil > now || held.Writing is not null))
                    {
                        var reachable = lastMarked && last.Point!.Value.Position - earlier.Point!.Value.Position <= BreakpointPlanner.LookbackBlocks;
                        if (!reachable && marks.Count < BreakpointPlanner.MaxBreakpoints && Qualifies(earlier.Point, model))
                        {
                            marks.Add((earlier.Point!.Value, held));
                        }

                        break;
                    }
                }
            }

            // The TTL of each mark, then who writes what: a cold prefix another call is writing is waited for.
            var plan = new List<BreakpointMark>(marks.Count);
            foreach (var (point, sighting) in marks)
            {
                var live = sighting.LiveUntil > now;
                var oneHour = _options.OneHourTtl || (live ? sighting.Ttl == OneHour : PrefersOneHour(sighting, now));
                plan.Add(point.Mark(oneHour));
                if (live)
                {
                    continue;
                }

                if (sighting.Writing is { IsCompleted: false } other)
                {
                    waitFor.Add(other);
                }
                else
                {
                    writes.Add((sighting, point));
                }
            }

            var ordered = new BreakpointPlan(plan);
            var ttls = marks.Select(m => ordered.Find(m.Point.Section, m.Point.Index, m.Point.Block)!.Value.OneHour ? OneHour : FiveMinutes).ToList();
            var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            foreach (var (sighting, _) in writes)
            {
                sighting.Writing = writing.Task;
            }

            return new PlannedMarks(
                ordered, [.. marks.Select(m => m.Sighting)], [.. ttls], writes.Count > 0 ? writing : null, waitFor, [.. writes.OrderBy(w => w.Point.Position).Select(w => w.Point.Identity)]);
        }
    }

    private Observed Observe(PromptPoint? point, PrefixKind kind, UInt128 shape, DateTimeOffset now, bool add = true)
    {
        if (point is not { } p)
        {
            return default;
        }

        var sighting = _record.Find(p.Identity);
        if (sighting is null)
        {
            return add ? new Observed(p, _record.Add(p.Identity, kind, shape, now), IsNew: true) : new Observed(p, null, IsNew: true);
        }

        if (!sighting.Returned)
        {
            sighting.Returned = true;
            var statistics = _record.Statistics(sighting.Kind, sighting.Shape);
            statistics.Returned++;
            if (now - sighting.LastSeen > FiveMinutes)
            {
                statistics.ReturnedLate++;
            }
        }

        sighting.Count++;
        sighting.PreviousSeen = sighting.LastSeen;
        sighting.LastSeen = now;
        return new Observed(p, sighting, IsNew: false);
    }

    // A prefix Anthropic holds is always worth marking (a read at 0.1×); one that came back is worth writing; a new one
    // only when its kind usually comes back, and not while the valve is closed.
    private static bool Worth(Observed observed, bool valveOpen, bool predicted) =>
        observed.Sighting is not null && (!observed.IsNew || (predicted && valveOpen));

    private bool Predicts(PrefixKind kind, UInt128 shape, int priorReturned, int priorNew)
    {
        var statistics = _record.Statistics(kind, shape);

        // The prefix being planned was counted as new already: leave it out.
        var seen = statistics.New - 1 + priorNew;
        return seen > 0 && (statistics.Returned + priorReturned) >= ReuseThreshold * seen;
    }

    /// <summary>
    /// A 5-minute write costs 0.25× input more than no marker and each read saves 0.9×: a write pays when a read
    /// follows with a probability above about 0.28. The record asks a little more.
    /// </summary>
    private const double ReuseThreshold = 0.35;

    // 1 hour when this prefix (or, for a new one, its kind) comes back after more than five minutes: a 1-hour write
    // costs 2× instead of 1.25×, repaid by one read that a 5-minute entry would have lost.
    private bool PrefersOneHour(PrefixSighting sighting, DateTimeOffset now)
    {
        if (sighting.Count > 1)
        {
            var gap = now - sighting.PreviousSeen;
            return gap > FiveMinutes && gap <= OneHour;
        }

        var statistics = _record.Statistics(sighting.Kind, sighting.Shape);
        return statistics.Returned >= 2 && statistics.ReturnedLate * 2 >= statistics.Returned;
    }

    private static bool Qualifies(PromptPoint? point, string? model) => BreakpointPlanner.Qualifies(point, model);

    /// <summary>The call's response began (or the call failed): what it marked is held by Anthropic now, or not.</summary>
    internal void Began(PlannedMarks marks, bool succeeded)
    {
        var now = _time.GetUtcNow();
        lock (_record.Sync)
        {
            for (var i = 0; i < marks.Sightings.Length; i++)
            {
                var sighting = marks.Sightings[i];
                if (succeeded)
                {
                    sighting.LiveUntil = now + marks.Ttls[i];
                    sighting.Ttl = marks.Ttls[i];
                }

                if (marks.Writing is { } writing && ReferenceEquals(sighting.Writing, writing.Task))
                {
                    sighting.Writing = null;
                }
            }
        }

        marks.Writing?.TrySetResult();
    }

    /// <summary>Feeds the valve with what a marked call's usage says its markers saved (in input-token units).</summary>
    internal void Judged(string valveKey, TokenUsage usage)
    {
        // An answer that does not split its writes by TTL wrote 5-minute entries (the default).
        var fiveMinutes = usage.CacheCreation5m + usage.CacheCreation1h == 0 ? usage.CacheCreationInputTokens : usage.CacheCreation5m;
        _valve.Add(valveKey, (0.9 * usage.CacheReadInputTokens) - (0.25 * fiveMinutes) - (1.0 * usage.CacheCreation1h));
    }

    internal void WaitStarted()
    {
        Interlocked.Increment(ref _waits);
        Interlocked.Increment(ref _waiting);
    }

    internal void WaitEnded() => Interlocked.Decrement(ref _waiting);

    internal TimeSpan MaxColdPrefixWait => _options.MaxColdPrefixWait;

    /// <summary>The lease other instances writing the same cold prefix take, or null when the store is not shared.</summary>
    internal IDistributedCoalescer? Instances => _options.MaxColdPrefixWait > TimeSpan.Zero ? _instances : null;

    internal TimeProvider Time => _time;

    /// <inheritdoc />
    public void Dispose() => _record.Dispose();

    private readonly record struct Observed(PromptPoint? Point, PrefixSighting? Sighting, bool IsNew);
}
