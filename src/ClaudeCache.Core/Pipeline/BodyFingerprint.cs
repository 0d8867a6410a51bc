using System.Buffers;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace ClaudeCache.Pipeline;

/// <summary>
/// Step 1's fingerprint of a request body, computed while the body is read: XXH3-64 seeded with a secret drawn once
/// per process. It only chooses a slot in the <see cref="RequestMemo"/>; the memo then compares the bytes themselves,
/// so a body crafted to collide (the seed is secret, but XXH3 is not a MAC) can at worst take a slot, never be given
/// another body's key (docs/request-path.md).
/// </summary>
public struct BodyFingerprint
{
    // Per process: fingerprints never leave it, so nothing outside can precompute collisions against this seed.
    private static readonly long Seed = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));

    private XxHash3? _hash;
    private long _length;

    /// <summary>Bytes appended so far.</summary>
    public readonly long Length => _length;

    /// <summary>Adds the next bytes of the body.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        (_hash ??= new XxHash3(Seed)).Append(data);
        _length += data.Length;
    }

    /// <summary>The fingerprint of everything appended.</summary>
    public readonly ulong GetValue() => _hash?.GetCurrentHashAsUInt64() ?? (ulong)XxHash3.HashToUInt64([], Seed);

    /// <summary>The fingerprint of a body already in memory (one pass).</summary>
    public static ulong Of(ReadOnlySequence<byte> body)
    {
        if (body.IsSingleSegment)
        {
            return XxHash3.HashToUInt64(body.FirstSpan, Seed);
        }

        var fingerprint = default(BodyFingerprint);
        foreach (var segment in body)
        {
            fingerprint.Append(segment.Span);
        }

        return fingerprint.GetValue();
    }
}
