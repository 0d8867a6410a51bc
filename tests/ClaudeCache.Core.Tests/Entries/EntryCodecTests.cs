using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using ClaudeCache.Entries;
using ClaudeCache.Policy;

namespace ClaudeCache.Tests.Entries;

public sealed class EntryCodecTests
{
    private static CachedResponse Small() => new()
    {
        Kind = ResponseKind.CountTokens,
        CreatedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero),
        ExpiresAt = new DateTimeOffset(2025, 1, 2, 4, 4, 5, 678, TimeSpan.Zero),
        Strategy = CacheStrategy.RealTime,
        Body = "{\"input_tokens\":42}"u8.ToArray(),
    };

    [Fact]
    public void RoundTrip_JsonEntry_ReturnsSameFields()
    {
        var entry = SampleResponses.JsonEntry();

        var status = EntryCodec.TryDecode(EntryCodec.Encode(entry), out var decoded);

        Assert.Equal(DecodeStatus.Ok, status);
        EntryAssert.Equal(entry, decoded);
        Assert.False(decoded!.HasStream);
    }

    [Fact]
    public void RoundTrip_StreamEntry_KeepsRawSseByteForByte()
    {
        var entry = SampleResponses.StreamEntry();

        var status = EntryCodec.TryDecode(EntryCodec.Encode(entry), out var decoded);

        Assert.Equal(DecodeStatus.Ok, status);
        EntryAssert.Equal(entry, decoded);
        Assert.True(decoded!.HasStream);
    }

    [Fact]
    public void RoundTrip_SmallEntryWithEmptyStrings_ReturnsSameFields()
    {
        var entry = Small();

        var status = EntryCodec.TryDecode(EntryCodec.Encode(entry), out var decoded);

        Assert.Equal(DecodeStatus.Ok, status);
        EntryAssert.Equal(entry, decoded);
        Assert.Equal("", decoded!.Model);
    }

    [Fact]
    public void RoundTrip_NonAsciiStringsAndNonUtcTimes_AreKept()
    {
        var entry = Small() with
        {
            CreatedAt = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.FromHours(2)),
            Namespace = "équipe-北京-🚀",
            ContextType = "analyse",
        };

        Assert.Equal(DecodeStatus.Ok, EntryCodec.TryDecode(EntryCodec.Encode(entry), out var decoded));

        // The instant is kept; the offset is not part of the format (entries are read back in UTC).
        Assert.Equal(entry.CreatedAt, decoded!.CreatedAt);
        Assert.Equal(TimeSpan.Zero, decoded.CreatedAt.Offset);
        Assert.Equal("équipe-北京-🚀", decoded.Namespace);
    }

    [Fact]
    public void RoundTrip_EveryStrategyAndKind_AreKept()
    {
        foreach (var strategy in Enum.GetValues<CacheStrategy>())
        {
            foreach (var kind in Enum.GetValues<ResponseKind>())
            {
                var entry = Small() with { Strategy = strategy, Kind = kind };
                Assert.Equal(DecodeStatus.Ok, EntryCodec.TryDecode(EntryCodec.Encode(entry), out var decoded));
                EntryAssert.Equal(entry, decoded);
            }
        }
    }

    [Fact]
    public void RoundTrip_StoredHeaders_AreKept_InOrder()
    {
        var entry = SampleResponses.StreamEntry() with
        {
            Headers = [new("anthropic-organization-id", "org-a"), new("anthropic-organization-id", "org-b")],
        };

        Assert.Equal(DecodeStatus.Ok, EntryCodec.TryDecode(EntryCodec.Encode(entry), out var decoded));

        EntryAssert.Equal(entry, decoded);
    }

    [Fact]
    public void TryDecode_StoredHeadersUnderVersion3_IsCorrupt()
    {
        // Version 3 bodies end with the raw stream: a version-4 body with headers relabelled as version 3 must not decode.
        var payload = EntryCodec.Encode(Small() with { Headers = [new("anthropic-organization-id", "org-a")] });
        payload[4] = 3;

        Assert.Equal(DecodeStatus.Corrupt, EntryCodec.TryDecode(payload, out var decoded));
        Assert.Null(decoded);
    }

    [Fact]
    public void Encode_WritesMagicVersionAndCompressedFlag()
    {
        var payload = EntryCodec.Encode(SampleResponses.StreamEntry());

        Assert.Equal("CCEN"u8.ToArray(), payload[..4]);
        Assert.Equal(EntryCodec.FormatVersion, payload[4]);
        Assert.Equal(EntryCodec.FlagCompressed | EntryCodec.FlagDictionary, payload[13]);
    }

    [Fact]
    public void TryDecode_DictionaryFlagUnderVersion1_IsCorrupt()
    {
        // Version 1 had no dictionary: a version-2 body relabelled as version 1 must not decode.
        var payload = EntryCodec.Encode(SampleResponses.StreamEntry());
        payload[4] = 1;

        Assert.Equal(DecodeStatus.Corrupt, EntryCodec.TryDecode(payload, out var decoded));
        Assert.Null(decoded);
    }

    [Fact]
    public void Encode_TinyEntry_IsStoredUncompressedAndStillDecodes()
    {
        // Compression would add a frame header to a body this small.
        var entry = Small() with { Body = "{}"u8.ToArray() };

        var payload = EntryCodec.Encode(entry);

        Assert.Equal(0, payload[13]);
        Assert.Equal(DecodeStatus.Ok, EntryCodec.TryDecode(payload, out var decoded));
        EntryAssert.Equal(entry, decoded);
    }

    [Theory]
    [InlineData(0)] // magic
    [InlineData(3)] // magic
    [InlineData(5)] // checksum
    [InlineData(12)] // checksum
    [InlineData(13)] // flags
    [InlineData(14)] // length
    [InlineData(17)] // length
    [InlineData(18)] // first body byte (zstd frame magic)
    [InlineData(-1)] // middle of the body
    [InlineData(-2)] // last byte
    public void TryDecode_FlippedByte_IsCorrupt(int offset)
    {
        var payload = EntryCodec.Encode(SampleResponses.StreamEntry());
        var index = offset switch
        {
            -1 => payload.Length / 2,
            -2 => payload.Length - 1,
            _ => offset,
        };
        payload[index] ^= 0x5A;

        Assert.Equal(DecodeStatus.Corrupt, EntryCodec.TryDecode(payload, out var decoded));
        Assert.Null(decoded);
    }

    [Fact]
    public void TryDecode_EveryBitOfASmallEntryFlipped_NeverOkAndNeverThrows()
    {
        var original = EntryCodec.Encode(Small());
        for (var index = 0; index < original.Length; index++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var payload = (byte[])original.Clone();
                payload[index] ^= (byte)(1 << bit);

                var status = EntryCodec.TryDecode(payload, out _);

                // The version byte is judged before the checksum: a changed version reads as another version, unless
                // it names an older one this build reads, whose layout then does not fit.
                var readable = payload[4] is >= EntryCodec.OldestReadableVersion and <= EntryCodec.FormatVersion;
                var expected = index == 4 && !readable ? DecodeStatus.UnknownVersion : DecodeStatus.Corrupt;
                Assert.Equal(expected, status);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryDecode_TruncatedAtEveryLength_IsCorrupt(bool withStream)
    {
        var entry = withStream ? Small() with { RawSse = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"u8.ToArray() } : Small();
        var payload = EntryCodec.Encode(entry);

        for (var length = 0; length < payload.Length; length++)
        {
            Assert.Equal(DecodeStatus.Corrupt, EntryCodec.TryDecode(payload.AsSpan(0, length), out var decoded));
            Assert.Null(decoded);
        }
    }

    [Fact]
    public void TryDecode_TrailingBytes_IsCorrupt()
    {
        var payload = EntryCodec.Encode(SampleResponses.JsonEntry());

        Assert.Equal(DecodeStatus.Corrupt, EntryCodec.TryDecode([.. payload, 0], out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(255)]
    public void TryDecode_OtherVersion_IsUnknownVersion(byte version)
    {
        var payload = EntryCodec.Encode(SampleResponses.JsonEntry());
        payload[4] = version;

        Assert.Equal(DecodeStatus.UnknownVersion, EntryCodec.TryDecode(payload, out var decoded));
        Assert.Null(decoded);
    }

    [Fact]
    public void TryDecode_OtherVersionWithShortBody_IsUnknownVersion()
    {
        // A future format may be shorter than this one's header: the version decides before the length does.
        Assert.Equal(DecodeStatus.UnknownVersion, EntryCodec.TryDecode("CCEN\u0005"u8, out _));
    }

    [Fact]
    public void TryDecode_Garbage_IsCorrupt()
    {
        Assert.Equal(DecodeStatus.Corrupt, EntryCodec.TryDecode(Encoding.UTF8.GetBytes("{\"not\":\"an entry\"}"), out _));
        Assert.Equal(DecodeStatus.Corrupt, EntryCodec.TryDecode([], out _));
    }

    [Theory]
    [InlineData(0, 0x02)] // unknown flag bit
    [InlineData(1, 0)] // kind 0 is not a ResponseKind
    [InlineData(2, 99)] // strategy out of range
    [InlineData(3, 0)] // body truncated inside a well-formed checksum
    [InlineData(4, 0)] // trailing byte inside the body
    [InlineData(5, 0)] // invalid UTF-8 in the model
    public void TryDecode_MalformedBodyWithValidChecksum_IsCorrupt(int damage, byte value)
    {
        // Rebuild a raw (uncompressed) payload by hand and re-checksum it, so that only the body parser can catch it.
        var body = RawBody(Small());
        var flags = (byte)0;
        switch (damage)
        {
            case 0: flags = value; break;
            case 1: body[0] = value; break;
            case 2: body[1] = value; break;
            case 3: body = body[..^3]; break;
            case 4: body = [.. body, 0]; break;
            case 5: body = [.. body[..18], 1, 0xFF, .. body[19..]]; break;
            default: throw new ArgumentOutOfRangeException(nameof(damage));
        }

        var payload = RawPayload(body, flags);

        Assert.Equal(DecodeStatus.Corrupt, EntryCodec.TryDecode(payload, out _));
    }

    [Fact]
    public void TryDecode_HandBuiltRawPayload_IsOk()
    {
        // Guards the helpers the malformed-body test relies on.
        Assert.Equal(DecodeStatus.Ok, EntryCodec.TryDecode(RawPayload(RawBody(Small()), 0), out var decoded));
        EntryAssert.Equal(Small(), decoded);
    }

    [Fact]
    public void TryDecode_DeclaredLengthAboveLimit_IsCorrupt()
    {
        var payload = EntryCodec.Encode(SampleResponses.JsonEntry());
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(14), int.MaxValue);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(5), XxHash64.HashToUInt64(payload.AsSpan(13)));

        Assert.Equal(DecodeStatus.Corrupt, EntryCodec.TryDecode(payload, out _));
    }

    [Fact]
    public void TryDecode_CompressedBodyShorterThanDeclared_IsCorrupt()
    {
        var payload = EntryCodec.Encode(SampleResponses.JsonEntry());
        var declared = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(14));
        foreach (var wrong in new[] { declared - 1, declared + 1 })
        {
            BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(14), wrong);
            BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(5), XxHash64.HashToUInt64(payload.AsSpan(13)));

            Assert.Equal(DecodeStatus.Corrupt, EntryCodec.TryDecode(payload, out _));
        }
    }

    [Fact]
    public async Task EncodeAndDecode_ConcurrentlyOnManyThreads_AreConsistent()
    {
        var entry = SampleResponses.StreamEntry();
        var expected = EntryCodec.Encode(entry);

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 50; i++)
            {
                Assert.Equal(expected, EntryCodec.Encode(entry));
                Assert.Equal(DecodeStatus.Ok, EntryCodec.TryDecode(expected, out var decoded));
                Assert.Equal(entry.RawSse.Length, decoded!.RawSse.Length);
            }
        }, TestContext.Current.CancellationToken)));
    }

    private static byte[] RawBody(CachedResponse response)
    {
        var payload = EntryCodec.Encode(response);
        Assert.Equal(0, payload[13]); // small entries are stored raw, so the body is readable here
        return payload[EntryCodec.HeaderLength..];
    }

    private static byte[] RawPayload(byte[] body, byte flags)
    {
        var payload = new byte[EntryCodec.HeaderLength + body.Length];
        "CCEN"u8.CopyTo(payload);
        payload[4] = EntryCodec.FormatVersion;
        payload[13] = flags;
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(14), body.Length);
        body.CopyTo(payload, EntryCodec.HeaderLength);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(5), XxHash64.HashToUInt64(payload.AsSpan(13)));
        return payload;
    }
}
