using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using ZstdSharp;

namespace ClaudeCache.Entries;

/// <summary>
/// The stored form of a <see cref="CachedResponse"/>: what the second tier (SQLite, Redis) holds.
/// </summary>
/// <remarks>
/// <para>Layout of format versions 1 and 2 (integers little-endian):</para>
/// <code>
/// offset  size  field
///  0      4     magic "CCEN" (ClaudeCache ENtry)
///  4      1     format version (<see cref="FormatVersion"/>)
///  5      8     XxHash64 of every byte from offset 13 to the end
/// 13      1     flags: bit 0 = body is zstd-compressed; bit 1 (version 2 only, with bit 0) = compressed with the
///               shipped dictionary <c>entries-v2.zdict</c>; other bits must be zero
/// 14      4     length of the uncompressed body
/// 18      ...   body: one zstd frame, or the raw body when compression did not make it smaller
/// </code>
/// <para>
/// The checksum sits before the flags (not after, as one might expect) so that it covers flags, length and
/// body as one contiguous span and is computed with one allocation-free call. Magic and version are checked
/// before the checksum: a future version may lay out everything after the version byte differently.
/// </para>
/// <para>
/// The body holds, in order: kind (1 byte), strategy (1 byte), created-at and expires-at as Unix milliseconds
/// (8 bytes each), then model, context type and namespace as UTF-8 strings, the JSON body and the raw SSE bytes,
/// each prefixed by its length as a 7-bit encoded integer.
/// </para>
/// <para>
/// Changing anything here means a new <see cref="FormatVersion"/> and a new snapshot file in the tests
/// (<c>tests/ClaudeCache.Core.Tests/Entries/Snapshots/</c>), so entries already stored keep loading or are
/// cleanly ignored as <see cref="DecodeStatus.UnknownVersion"/>.
/// </para>
/// </remarks>
public static class EntryCodec
{
    /// <summary>
    /// The format version this build writes. It reads this one and version 1 (the same layout without the
    /// dictionary flag), so entries stored by the previous release keep loading.
    /// </summary>
    public const byte FormatVersion = 2;

    /// <summary>The oldest format version this build still reads.</summary>
    public const byte OldestReadableVersion = 1;

    /// <summary>The size of the fixed header before the body.</summary>
    internal const int HeaderLength = 18;

    /// <summary>
    /// The largest uncompressed body accepted, in both directions. Far above any real response (the API caps
    /// output at a few hundred thousand tokens); the bound stops a damaged length from allocating gigabytes.
    /// </summary>
    internal const int MaxBodyLength = 256 * 1024 * 1024;

    internal const byte FlagCompressed = 0x01;

    internal const byte FlagDictionary = 0x02;

    private const int VersionOffset = 4;
    private const int ChecksumOffset = 5;
    private const int FlagsOffset = 13;
    private const int LengthOffset = 14;

    private static ReadOnlySpan<byte> Magic => "CCEN"u8;

    /// <summary>Serialises, compresses and checksums <paramref name="response"/>.</summary>
    /// <exception cref="ArgumentException">The entry is larger than the format allows (256 MiB uncompressed).</exception>
    public static byte[] Encode(CachedResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);

        var bodyLength = EntryBodyWriter.Measure(response);
        var raw = ArrayPool<byte>.Shared.Rent(bodyLength);
        var compressed = ArrayPool<byte>.Shared.Rent(Compressor.GetCompressBound(bodyLength));
        try
        {
            var writer = new EntryBodyWriter(raw);
            writer.Write(response);

            var rawBody = raw.AsSpan(0, bodyLength);
            var compressedLength = ZstdCodecs.DictionaryCompressor.Wrap(rawBody, compressed);

            // Tiny entries can grow under compression (frame header); those are stored as they are.
            var useCompressed = compressedLength < bodyLength;
            var stored = useCompressed ? compressed.AsSpan(0, compressedLength) : rawBody;

            var payload = new byte[HeaderLength + stored.Length];
            Magic.CopyTo(payload);
            payload[VersionOffset] = FormatVersion;
            payload[FlagsOffset] = useCompressed ? (byte)(FlagCompressed | FlagDictionary) : (byte)0;
            BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(LengthOffset), bodyLength);
            stored.CopyTo(payload.AsSpan(HeaderLength));
            BinaryPrimitives.WriteUInt64LittleEndian(
                payload.AsSpan(ChecksumOffset),
                XxHash64.HashToUInt64(payload.AsSpan(FlagsOffset)));
            return payload;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(compressed);
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <summary>
    /// Verifies and decodes a payload written by <see cref="Encode"/>. Never throws on bad input: damage is
    /// <see cref="DecodeStatus.Corrupt"/>, another format version is <see cref="DecodeStatus.UnknownVersion"/>.
    /// </summary>
    /// <param name="payload">The stored bytes.</param>
    /// <param name="response">The decoded response when the result is <see cref="DecodeStatus.Ok"/>; otherwise null.</param>
    public static DecodeStatus TryDecode(ReadOnlySpan<byte> payload, out CachedResponse? response)
    {
        response = null;

        // A payload too short to carry a version is as good as damaged; one that has the magic and a version
        // is judged by the version first, because a newer format may be shorter or laid out differently.
        if (payload.Length <= VersionOffset || !payload[..Magic.Length].SequenceEqual(Magic))
        {
            return DecodeStatus.Corrupt;
        }

        var version = payload[VersionOffset];
        if (version is < OldestReadableVersion or > FormatVersion)
        {
            return DecodeStatus.UnknownVersion;
        }

        if (payload.Length < HeaderLength)
        {
            return DecodeStatus.Corrupt;
        }

        var checksum = BinaryPrimitives.ReadUInt64LittleEndian(payload[ChecksumOffset..]);
        if (XxHash64.HashToUInt64(payload[FlagsOffset..]) != checksum)
        {
            return DecodeStatus.Corrupt;
        }

        var flags = payload[FlagsOffset];
        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(payload[LengthOffset..]);
        var allowed = version >= 2 ? FlagCompressed | FlagDictionary : FlagCompressed;
        var dictionary = (flags & FlagDictionary) != 0;
        if ((flags & ~allowed) != 0 || (dictionary && (flags & FlagCompressed) == 0) || bodyLength is < 0 or > MaxBodyLength)
        {
            return DecodeStatus.Corrupt;
        }

        var stored = payload[HeaderLength..];
        if (!TryReadBody(stored, (flags & FlagCompressed) != 0, dictionary, bodyLength, out var body))
        {
            return DecodeStatus.Corrupt;
        }

        return EntryBodyReader.TryRead(body, out response) ? DecodeStatus.Ok : DecodeStatus.Corrupt;
    }

    private static bool TryReadBody(ReadOnlySpan<byte> stored, bool compressed, bool dictionary, int bodyLength, out byte[] body)
    {
        body = [];
        if (!compressed)
        {
            if (stored.Length != bodyLength)
            {
                return false;
            }

            body = stored.ToArray();
            return true;
        }

        body = GC.AllocateUninitializedArray<byte>(bodyLength);
        try
        {
            var decompressor = dictionary ? ZstdCodecs.DictionaryDecompressor : ZstdCodecs.Decompressor;
            return decompressor.Unwrap(stored, body) == bodyLength;
        }
        catch (ZstdException)
        {
            // Damaged frame, or one that decompresses to more than the header declares.
            return false;
        }
    }
}
