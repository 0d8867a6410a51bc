using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ClaudeCache.Keys;

/// <summary>
/// Builds a <see cref="CacheKey"/>: SHA-256 over a versioned canonical form of everything that can change the
/// answer (docs/anthropic-wire.md §3), and nothing that cannot.
/// </summary>
/// <remarks>
/// The canonical form is one compact JSON array:
/// <c>["v{Version}", partition, namespace, path, anthropic-version, [sorted beta set], canonical body]</c>.
/// Two requests share a key only when they would get the same answer from the same tenant; a key that is too
/// broad would serve one user's answer to another, so every doubt is resolved by keeping a field in.
/// See <c>docs/cache-keys.md</c>.
/// </remarks>
public static class CacheKeyBuilder
{
    /// <summary>
    /// The canonical form's version, folded into every key. Bump it whenever the canonical form changes
    /// (a field in or out, a new normalisation): old entries then simply stop matching instead of colliding
    /// with new requests that canonicalise to the same bytes under different rules.
    /// </summary>
    public const int Version = 2;

    private static readonly string s_versionTag = "v" + Version.ToString(CultureInfo.InvariantCulture);

    // Writers are reused per thread: building a key then allocates little beyond the strings of member names.
    [ThreadStatic]
    private static Scratch? t_scratch;

    /// <summary>Computes the key of a request.</summary>
    public static CacheKey Build(in CacheKeyInput input)
    {
        var scratch = t_scratch ??= new Scratch();
        Span<byte> digest = stackalloc byte[CacheKey.SizeInBytes];
        try
        {
            scratch.Hash(input, digest);
        }
        catch
        {
            // Nothing half-written may reach the next key built on this thread.
            scratch.Hasher.Discard();
            throw;
        }

        return new CacheKey(digest);
    }

    /// <summary>The canonical form as text, for tests and diagnostics (it contains the prompt: never log it).</summary>
    internal static string GetCanonicalForm(in CacheKeyInput input)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteCanonical(writer, input);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteCanonical(Utf8JsonWriter writer, in CacheKeyInput input)
    {
        writer.WriteStartArray();
        writer.WriteStringValue(s_versionTag);
        writer.WriteStringValue(input.Partition ?? "");
        writer.WriteStringValue(input.Namespace ?? "");
        writer.WriteStringValue(RoutePath(input.Path));

        var version = input.AnthropicVersion.AsSpan().Trim();
        if (version.IsEmpty)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(version);
        }

        WriteBetaSet(writer, input.AnthropicBeta);
        CanonicalRequestBody.Write(writer, input.Body);
        writer.WriteEndArray();
    }

    private static ReadOnlySpan<char> RoutePath(string? path)
    {
        // The SDKs' "?beta=true" marker does not change the answer; the route does.
        var span = path.AsSpan();
        var query = span.IndexOf('?');
        return query < 0 ? span : span[..query];
    }

    /// <summary>The beta flags as a set: order, duplicates and spaces are how a client happened to send them.</summary>
    private static void WriteBetaSet(Utf8JsonWriter writer, string? header)
    {
        writer.WriteStartArray();
        if (!string.IsNullOrWhiteSpace(header))
        {
            var betas = header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Array.Sort(betas, StringComparer.Ordinal);
            for (var i = 0; i < betas.Length; i++)
            {
                if (i == 0 || !string.Equals(betas[i], betas[i - 1], StringComparison.Ordinal))
                {
                    writer.WriteStringValue(betas[i]);
                }
            }
        }

        writer.WriteEndArray();
    }

    // Deterministic and compact; validation is unnecessary because the structure is ours.
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.Default,
        Indented = false,
        SkipValidation = true,
    };

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Lives as long as its thread; the hasher is released with it.")]
    private sealed class Scratch
    {
        private readonly Utf8JsonWriter _writer;

        public Scratch()
        {
            _writer = new Utf8JsonWriter(Hasher, WriterOptions);
            CanonicalJson.BindHasher(_writer, Hasher);
        }

        /// <summary>Hashes the canonical form as it is written (never held whole: <see cref="HashingBufferWriter"/>).</summary>
        public HashingBufferWriter Hasher { get; } = new();

        public void Hash(in CacheKeyInput input, Span<byte> digest)
        {
            _writer.Reset(Hasher);
            WriteCanonical(_writer, input);
            _writer.Flush();
            Hasher.Finish(digest);
        }
    }
}
