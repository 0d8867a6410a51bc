using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace ClaudeCache.Keys;

/// <summary>
/// A cache key: the SHA-256 of a request's canonical form (see <see cref="CacheKeyBuilder"/>). A small value
/// type compared by its 32 bytes; its lowercase hex form is what headers, the admin API and the stores use.
/// </summary>
/// <remarks>See <c>docs/cache-keys.md</c>.</remarks>
public readonly struct CacheKey : IEquatable<CacheKey>
{
    /// <summary>The number of bytes in a key (a SHA-256 digest).</summary>
    public const int SizeInBytes = 32;

    /// <summary>The number of characters in the hex form.</summary>
    public const int HexLength = SizeInBytes * 2;

    // Four words make equality a handful of compares with no array behind the struct.
    private readonly ulong _w0;
    private readonly ulong _w1;
    private readonly ulong _w2;
    private readonly ulong _w3;

    // Computed once at construction: every key is turned into hex at least once (store key, response header),
    // and a readonly struct cannot cache lazily.
    private readonly string? _hex;

    /// <summary>Creates a key from a 32-byte digest.</summary>
    /// <exception cref="ArgumentException">The digest is not 32 bytes long.</exception>
    public CacheKey(ReadOnlySpan<byte> digest)
    {
        if (digest.Length != SizeInBytes)
        {
            throw new ArgumentException($"A cache key is exactly {SizeInBytes} bytes; got {digest.Length}.", nameof(digest));
        }

        _w0 = BinaryPrimitives.ReadUInt64BigEndian(digest);
        _w1 = BinaryPrimitives.ReadUInt64BigEndian(digest[8..]);
        _w2 = BinaryPrimitives.ReadUInt64BigEndian(digest[16..]);
        _w3 = BinaryPrimitives.ReadUInt64BigEndian(digest[24..]);
        _hex = Convert.ToHexStringLower(digest);
    }

    /// <summary>The 64-character lowercase hex form.</summary>
    public string ToHex()
    {
        if (_hex is not null)
        {
            return _hex;
        }

        // default(CacheKey): all zeros.
        Span<byte> bytes = stackalloc byte[SizeInBytes];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Writes the 32 digest bytes to <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The destination is shorter than 32 bytes.</exception>
    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length < SizeInBytes)
        {
            throw new ArgumentException($"The destination must hold {SizeInBytes} bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _w0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _w1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _w2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _w3);
    }

    /// <summary>The 32 digest bytes in a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[SizeInBytes];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>Parses a 64-character hex key (either case).</summary>
    /// <exception cref="FormatException">The text is not 64 hex characters.</exception>
    public static CacheKey FromHex(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        return TryParse(hex, out var key)
            ? key
            : throw new FormatException($"A cache key is {HexLength} hex characters.");
    }

    /// <summary>Parses a 64-character hex key (either case); false when the text is anything else.</summary>
    public static bool TryParse([NotNullWhen(true)] string? hex, out CacheKey key)
    {
        key = default;
        if (hex is null || hex.Length != HexLength)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[SizeInBytes];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != OperationStatus.Done || written != SizeInBytes)
        {
            return false;
        }

        key = new CacheKey(bytes);
        return true;
    }

    /// <inheritdoc/>
    public bool Equals(CacheKey other) =>
        _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is CacheKey other && Equals(other);

    // The digest is already uniformly distributed: any 32 bits of it are a good hash.
    /// <inheritdoc/>
    public override int GetHashCode() => (int)_w0;

    /// <summary>The hex form (<see cref="ToHex"/>).</summary>
    public override string ToString() => ToHex();

    /// <summary>True when both keys have the same digest.</summary>
    public static bool operator ==(CacheKey left, CacheKey right) => left.Equals(right);

    /// <summary>True when the keys have different digests.</summary>
    public static bool operator !=(CacheKey left, CacheKey right) => !left.Equals(right);
}
