using System.Buffers.Binary;
using System.IO.Hashing;
using ClaudeCache.Entries;
using ClaudeCache.Testing;
using ZstdSharp;

namespace ClaudeCache.Tests.Entries;

public sealed class EntryDictionaryTests
{
    private static readonly Lazy<EntryDictionary> Trained = new(() =>
    {
        var samples = AnswerCorpus.All.Select(a => AnswerCorpus.MessageJson(a)).ToList();
        Assert.True(EntryDictionary.TryCreate(DictBuilder.TrainFromBuffer(samples, 16 * 1024).ToArray(), DateTimeOffset.UnixEpoch.AddDays(1), out var dictionary));
        return dictionary!;
    });

    [Fact]
    public void Shipped_HasTheIdInItsZstdHeader()
    {
        var shipped = EntryDictionary.Shipped;

        Assert.True(shipped.IsShipped);
        Assert.True(EntryDictionary.TryReadId(shipped.Bytes, out var id));
        Assert.Equal(shipped.Id, id);
        Assert.NotEqual(0u, id);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x37, 0xA4, 0x30, 0xEC, 0, 0, 0, 0 })] // the magic with id 0 (zstd's "no id")
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 })]
    public void TryCreate_RejectsWhatIsNotAZstdDictionaryWithAnId(byte[] bytes)
    {
        Assert.False(EntryDictionary.TryCreate(bytes, DateTimeOffset.UnixEpoch, out var dictionary));
        Assert.Null(dictionary);
    }

    [Fact]
    public void Set_MakesTheNewestActive_AndFallsBackWhenItIsRemoved()
    {
        var set = new EntryDictionarySet();
        Assert.Same(EntryDictionary.Shipped, set.Active);

        Assert.True(set.Add(Trained.Value));
        Assert.False(set.Add(Trained.Value));
        Assert.Same(Trained.Value, set.Active);
        Assert.Equal(2, set.Count);

        set.Remove(EntryDictionary.Shipped.Id); // the shipped one stays
        set.Remove(Trained.Value.Id);
        Assert.Same(EntryDictionary.Shipped, set.Active);
        Assert.Equal(1, set.Count);
    }

    [Fact]
    public void EntryCompressedWithATrainedDictionary_NamesIt_AndNeedsIt()
    {
        var entry = SampleResponses.StreamEntry();
        var payload = EntryCodec.Encode(entry, Trained.Value);

        Assert.True(EntryCodec.TryGetDictionaryId(payload, out var id));
        Assert.Equal(Trained.Value.Id, id);
        Assert.Equal(DecodeStatus.UnknownDictionary, EntryCodec.TryDecode(payload, out var missing));
        Assert.Null(missing);

        var set = new EntryDictionarySet();
        set.Add(Trained.Value);
        Assert.Equal(DecodeStatus.Ok, EntryCodec.TryDecode(payload, set, out var decoded));
        EntryAssert.Equal(entry, decoded);
    }

    [Fact]
    public void ShippedDictionaryEntries_NameTheShippedId()
    {
        Assert.True(EntryCodec.TryGetDictionaryId(EntryCodec.Encode(SampleResponses.JsonEntry()), out var id));
        Assert.Equal(EntryDictionary.Shipped.Id, id);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(12345u)]
    public void DictionaryIdThatContradictsTheFlags_IsCorrupt(uint id)
    {
        var payload = EntryCodec.Encode(SampleResponses.JsonEntry());
        if (id == 0)
        {
            // Compressed with a dictionary but naming none.
            BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(18), 0);
        }
        else
        {
            // Naming a dictionary without the dictionary flag.
            payload[13] = EntryCodec.FlagCompressed;
            BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(18), id);
        }

        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(5), XxHash64.HashToUInt64(payload.AsSpan(13)));

        Assert.Equal(DecodeStatus.Corrupt, EntryCodec.TryDecode(payload, out _));
    }

    [Fact]
    public void EntryDecodedWithTheWrongDictionary_IsCorrupt()
    {
        // Same id, other content: a store that lost a dictionary and got another under its id must not serve garbage.
        var payload = EntryCodec.Encode(SampleResponses.JsonEntry(), Trained.Value);
        var impostorBytes = (byte[])EntryDictionary.Shipped.Bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(impostorBytes.AsSpan(4), Trained.Value.Id);
        Assert.True(EntryDictionary.TryCreate(impostorBytes, DateTimeOffset.UnixEpoch, out var impostor));
        var set = new EntryDictionarySet();
        set.Add(impostor!);

        Assert.Equal(DecodeStatus.Corrupt, EntryCodec.TryDecode(payload, set, out var decoded));
        Assert.Null(decoded);
    }

    [Fact]
    public void EntryReadWithADamagedCopyOfItsDictionary_IsCorrupt_NeverAnotherAnswer()
    {
        // Same header and id, other content bytes (bit rot, a partial write in the store): zstd's content checksum
        // catches what would otherwise decode into a different text.
        var damagedBytes = (byte[])Trained.Value.Bytes.Clone();
        for (var i = damagedBytes.Length - 2048; i < damagedBytes.Length; i++)
        {
            damagedBytes[i] ^= 0x20;
        }

        Assert.True(EntryDictionary.TryCreate(damagedBytes, DateTimeOffset.UnixEpoch.AddDays(2), out var damaged));
        var set = new EntryDictionarySet();
        set.Add(damaged!);
        foreach (var answer in AnswerCorpus.All.Take(20))
        {
            var entry = SampleResponses.JsonEntry() with { Body = AnswerCorpus.MessageJson(answer) };
            var payload = EntryCodec.Encode(entry, Trained.Value);

            Assert.Equal(DecodeStatus.Corrupt, EntryCodec.TryDecode(payload, set, out var decoded));
            Assert.Null(decoded);
        }
    }

    [Fact]
    public void DictionaryWithDamagedTables_IsRefused()
    {
        // A valid header over entropy tables zstd cannot build: refused when loaded, not on a caller's store.
        var bytes = (byte[])Trained.Value.Bytes.Clone();
        bytes.AsSpan(8, 512).Fill(0xFF);

        Assert.False(EntryDictionary.TryCreate(bytes, DateTimeOffset.UnixEpoch, out var dictionary));
        Assert.Null(dictionary);
    }

    [Fact]
    public void DictionaryNoLongerActive_LetsGoOfItsCompressors_AndStillWorksIfUsedAgain()
    {
        var samples = AnswerCorpus.All.Take(40).Select(a => AnswerCorpus.MessageJson(a)).ToList();
        Assert.True(EntryDictionary.TryCreate(DictBuilder.TrainFromBuffer(samples, 8 * 1024).ToArray(), DateTimeOffset.UnixEpoch.AddDays(1), out var older));
        var entry = SampleResponses.JsonEntry();
        var before = EntryCodec.Encode(entry, older!);
        var set = new EntryDictionarySet();
        set.Add(older!);

        set.Add(NewerThan(older!)); // a newer dictionary takes over

        Assert.NotSame(older, set.Active);
        Assert.Equal(before, EntryCodec.Encode(entry, older!)); // contexts are created again on demand
        Assert.Equal(DecodeStatus.Ok, EntryCodec.TryDecode(before, set, out _));
    }

    private static EntryDictionary NewerThan(EntryDictionary dictionary)
    {
        Assert.True(EntryDictionary.TryCreate(Trained.Value.Bytes, dictionary.CreatedAt.AddDays(1), out var newer));
        return newer!;
    }
}
