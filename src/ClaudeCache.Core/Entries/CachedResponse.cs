using ClaudeCache.Anthropic;
using ClaudeCache.Policy;

namespace ClaudeCache.Entries;

/// <summary>
/// One stored answer. <see cref="Body"/> is the JSON the upstream sent (or, for a stream, the Message
/// accumulated from it, in the API's 2025 key order); <see cref="RawSse"/> holds the stream's bytes exactly as
/// received, so a streamed hit replays them byte for byte.
/// </summary>
public sealed record CachedResponse
{
    /// <summary>What endpoint this answers.</summary>
    public required ResponseKind Kind { get; init; }

    /// <summary>When the upstream answered.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the entry stops being served.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The strategy that set the TTL.</summary>
    public required CacheStrategy Strategy { get; init; }

    /// <summary>The resolved model id from the response (a dated snapshot id), or empty.</summary>
    public string Model { get; init; } = "";

    /// <summary>The context type the request declared (<c>x-cache-context</c>), or empty.</summary>
    public string ContextType { get; init; } = "";

    /// <summary>The namespace the request declared (<c>x-cache-namespace</c>), or empty.</summary>
    public string Namespace { get; init; } = "";

    /// <summary>The JSON body: a Message or a count_tokens result.</summary>
    public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The raw SSE bytes when the answer came from a stream; empty otherwise.</summary>
    public ReadOnlyMemory<byte> RawSse { get; init; }

    /// <summary>
    /// The upstream response headers a hit carries as the answer did (<see cref="StoredResponseHeaders"/>: an
    /// allow-list), as name and value pairs; empty for entries stored before format version 4.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>True when the entry holds a recorded stream.</summary>
    public bool HasStream => !RawSse.IsEmpty;

    // Usage read from Body once, for pricing every hit served from the same decoded entry (ResponseCache memoises
    // hot entries). Not part of the entry's value: DerivedBox always compares equal.
    private DerivedBox _derived;

    /// <summary>The usage (and <c>usage.inference_geo</c>) of <see cref="Body"/>, read once per entry.</summary>
    internal TokenUsage ReadUsage(out string? inferenceGeo)
    {
        var memo = Volatile.Read(ref _derived.Usage);
        // A copy made with `with` shares the memo; a different Body makes it stale.
        if (memo is null || !memo.Body.Equals(Body))
        {
            var usage = MessageJson.ReadUsage(Body.Span, out var geo);
            memo = new UsageMemo(Body, usage, geo);
            Volatile.Write(ref _derived.Usage, memo);
        }

        inferenceGeo = memo.InferenceGeo;
        return memo.Usage;
    }

    private sealed record UsageMemo(ReadOnlyMemory<byte> Body, TokenUsage Usage, string? InferenceGeo);

    private struct DerivedBox : IEquatable<DerivedBox>
    {
        public UsageMemo? Usage;

        public readonly bool Equals(DerivedBox other) => true;

        public override readonly bool Equals(object? obj) => obj is DerivedBox;

        public override readonly int GetHashCode() => 0;
    }
}
