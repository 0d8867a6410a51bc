using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
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
        var canonical = scratch.Write(input);
        Span<byte> digest = stackalloc byte[CacheKey.SizeInBytes];
        SHA256.HashData(canonical, digest);
        scratch.Release();
        return new CacheKey(digest);
    }

    /// <summary>The canonical form as text, for tests and diagnostics (it contains the prompt: never log it).</summary>
    internal static string GetCanonicalForm(in CacheKeyInput input)
    {
        var scratch = new Scratch();
        return System.Text.Encoding.UTF8.GetString(scratch.Write(input));
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

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Lives as long as its thread; the writer wraps managed memory only.")]
    private sealed class Scratch
    {
        // A huge request should not pin its buffer to the thread for ever.
        private const int KeepCapacity = 256 * 1024;

        private ArrayBufferWriter<byte> _buffer = new(16 * 1024);
        private readonly Utf8JsonWriter _writer;

        public Scratch()
        {
            _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions
            {
                // Deterministic and compact; validation is unnecessary because the structure is ours.
                Encoder = JavaScriptEncoder.Default,
                Indented = false,
                SkipValidation = true,
            });
        }

        public ReadOnlySpan<byte> Write(in CacheKeyInput input)
        {
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
            WriteCanonical(_writer, input);
            _writer.Flush();
            return _buffer.WrittenSpan;
        }

        public void Release()
        {
            if (_buffer.Capacity > KeepCapacity)
            {
                _buffer = new ArrayBufferWriter<byte>(16 * 1024);
                _writer.Reset(_buffer);
            }
        }
    }
}
