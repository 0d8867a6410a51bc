using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using ZstdSharp;

namespace ClaudeCache.Entries;

/// <summary>
/// The stored form of a <see cref="CachedResponse"/>: what the second tier (SQLite, Redis) holds.
/// </summary>
/// <remarks>
/// <para>Layout of format versions 3 and 4 (integers little-endian):</para>
/// <code>
/// offset  size  field
///  0      4     magic "CCEN" (ClaudeCache ENtry)
///  4      1     format version (<see cref="FormatVersion"/>)
///  5      8     XxHash64 of every byte from offset 13 to the end
/// 13      1     flags: bit 0 = body is zstd-compressed; bit 1 (with bit 0) = compressed with the dictionary
///               named at offset 18; other bits must be zero
/// 14      4     length of the uncompressed body
/// 18      4     dictionary id (<see cref="EntryDictionary.Id"/>): 0 without bit 1, never 0 with it
/// 22      ...   body: one zstd frame, or the raw body when compression did not make it smaller
/// </code>
/// <para>
/// Versions 1, 2 and 3 are read too. Versions 1 and 2 have no dictionary id: the body starts at offset 18. In
/// version 2, bit 1 means the shipped dictionary <c>entries-v2.zdict</c>; version 1 has no bit 1. Version 3's body
/// has no headers.
/// </para>
/// <para>
/// The checksum sits before the flags (not after, as one might expect) so that it covers flags, length and
/// body as one contiguous span and is computed with one allocation-free call. Magic and version are checked
/// before the checksum: a future version may lay out everything after the version byte differently.
/// </para>
/// <para>
/// The body holds, in order: kind (1 byte), strategy (1 byte), created-at and expires-at as Unix milliseconds
/// (8 bytes each), then model, context type and namespace as UTF-8 strings, the JSON body and the raw SSE bytes,
/// each prefixed by its length as a 7-bit encoded integer; then, since version 4 and only when there are any, the stored response headers
/// (<see cref="StoredResponseHeaders"/>): their count as a 7-bit encoded integer and, for each, its name and value as
/// strings.
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
    /// The format version this build writes. It reads this one and versions 1 to 3 (the same layout without the
    /// stored headers, and for 1 and 2 without the dictionary id), so entries stored by earlier releases keep loading.
    /// </summary>
    public const byte FormatVersion = 4;

    /// <summary>The oldest format version this build still reads.</summary>
    public const byte OldestReadableVersion = 1;

    /// <summary>The size of the fixed header before the body (format versions 3 and 4).</summary>
    internal const int HeaderLength = 22;

    /// <summary>The size of the fixed header of format versions 1 and 2, which have no dictionary id.</summary>
    internal const int LegacyHeaderLength = 18;

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
    private const int DictionaryIdOffset = 18;

    private static ReadOnlySpan<byte> Magic => "CCEN"u8;

    /// <summary>Serialises, compresses (with the shipped dictionary) and checksums <paramref name="response"/>.</summary>
    /// <exception cref="ArgumentException">The entry is larger than the format allows (256 MiB uncompressed).</exception>
    public static byte[] Encode(CachedResponse response) => Encode(response, EntryDictionary.Shipped);

    /// <summary>Serialises, compresses with <paramref name="dictionary"/> and checksums <paramref name="response"/>.</summary>
    /// <exception cref="ArgumentException">The entry is larger than the format allows (256 MiB uncompressed).</exception>
    public static byte[] Encode(CachedResponse response, EntryDictionary dictionary)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(dictionary);

        var bodyLength = EntryBodyWriter.Measure(response);
        var raw = ArrayPool<byte>.Shared.Rent(bodyLength);
        var compressed = ArrayPool<byte>.Shared.Rent(Compressor.GetCompressBound(bodyLength));
        try
        {
            var writer = new EntryBodyWriter(raw);
            writer.Write(response);

            var rawBody = raw.AsSpan(0, bodyLength);
            var compressedLength = dictionary.Compress(rawBody, compressed);

            // Tiny entries can grow under compression (frame header); those are stored as they are.
            var useCompressed = compressedLength < bodyLength;
            var stored = useCompressed ? compressed.AsSpan(0, compressedLength) : rawBody;

            var payload = new byte[HeaderLength + stored.Length];
            Magic.CopyTo(payload);
            payload[VersionOffset] = FormatVersion;
            payload[FlagsOffset] = useCompressed ? (byte)(FlagCompressed | FlagDictionary) : (byte)0;
            BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(LengthOffset), bodyLength);
            BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(DictionaryIdOffset), useCompressed ? dictionary.Id : 0);
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
    /// Verifies and decodes a payload written by <see cref="Encode(CachedResponse)"/> (the shipped dictionary only).
    /// </summary>
    /// <param name="payload">The stored bytes.</param>
    /// <param name="response">The decoded response when the result is <see cref="DecodeStatus.Ok"/>; otherwise null.</param>
    public static DecodeStatus TryDecode(ReadOnlySpan<byte> payload, out CachedResponse? response) =>
        TryDecode(payload, EntryDictionarySet.ShippedOnly, out response);

    /// <summary>
    /// Verifies and decodes a payload. Never throws on bad input: damage is <see cref="DecodeStatus.Corrupt"/>,
    /// another format version is <see cref="DecodeStatus.UnknownVersion"/>, an intact entry compressed with a
    /// dictionary <paramref name="dictionaries"/> lacks is <see cref="DecodeStatus.UnknownDictionary"/> (see
    /// <see cref="TryGetDictionaryId"/>).
    /// </summary>
    /// <param name="payload">The stored bytes.</param>
    /// <param name="dictionaries">The dictionaries the store's entries may name.</param>
    /// <param name="response">The decoded response when the result is <see cref="DecodeStatus.Ok"/>; otherwise null.</param>
    public static DecodeStatus TryDecode(ReadOnlySpan<byte> payload, EntryDictionarySet dictionaries, out CachedResponse? response)
    {
        ArgumentNullException.ThrowIfNull(dictionaries);
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

        var headerLength = version >= 3 ? HeaderLength : LegacyHeaderLength;
        if (payload.Length < headerLength)
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

        EntryDictionary? named = null;
        if (version >= 3)
        {
            var id = BinaryPrimitives.ReadUInt32LittleEndian(payload[DictionaryIdOffset..]);
            if (dictionary != (id != 0))
            {
                return DecodeStatus.Corrupt;
            }

            if (dictionary && !dictionaries.TryGet(id, out named))
            {
                return DecodeStatus.UnknownDictionary;
            }
        }
        else if (dictionary)
        {
            named = EntryDictionary.Shipped;
        }

        var stored = payload[headerLength..];
        if (!TryReadBody(stored, (flags & FlagCompressed) != 0, named, bodyLength, out var body))
        {
            return DecodeStatus.Corrupt;
        }

        return EntryBodyReader.TryRead(body, version, out response) ? DecodeStatus.Ok : DecodeStatus.Corrupt;
    }

    /// <summary>
    /// Reads which dictionary an intact entry was compressed with, without decoding it: what to load when
    /// <see cref="TryDecode(ReadOnlySpan{byte}, EntryDictionarySet, out CachedResponse?)"/> reports
    /// <see cref="DecodeStatus.UnknownDictionary"/>.
    /// </summary>
    /// <returns>False when the payload is not a readable entry compressed with a dictionary.</returns>
    public static bool TryGetDictionaryId(ReadOnlySpan<byte> payload, out uint id)
    {
        id = 0;
        if (payload.Length < LegacyHeaderLength || !payload[..Magic.Length].SequenceEqual(Magic) ||
            (payload[FlagsOffset] & FlagDictionary) == 0)
        {
            return false;
        }

        switch (payload[VersionOffset])
        {
            case 2:
                id = EntryDictionary.Shipped.Id;
                return true;
            case >= 3 and <= FormatVersion when payload.Length >= HeaderLength:
                id = BinaryPrimitives.ReadUInt32LittleEndian(payload[DictionaryIdOffset..]);
                return id != 0;
            default:
                return false;
        }
    }

    private static bool TryReadBody(ReadOnlySpan<byte> stored, bool compressed, EntryDictionary? dictionary, int bodyLength, out byte[] body)
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
            var written = dictionary is null ? ZstdCodecs.Decompressor.Unwrap(stored, body) : dictionary.Decompress(stored, body);
            return written == bodyLength;
        }
        catch (ZstdException)
        {
            // Damaged frame, or one that decompresses to more than the header declares.
            return false;
        }
    }
}
