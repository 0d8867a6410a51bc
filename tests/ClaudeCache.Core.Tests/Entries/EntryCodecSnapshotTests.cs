using System.Runtime.CompilerServices;
using System.Text;
using ClaudeCache.Entries;
using ClaudeCache.Policy;
using ClaudeCache.Testing;

namespace ClaudeCache.Tests.Entries;

/// <summary>
/// Entries written by a released format version must keep loading. Each file under <c>Snapshots/</c> was written
/// once by <see cref="WriteSnapshots"/> and committed; it is never regenerated for an existing version. When the
/// format changes, bump <see cref="EntryCodec.FormatVersion"/>, add new snapshots next to the old ones, and decide
/// (and test) whether the old ones still load or are cleanly reported as <see cref="DecodeStatus.UnknownVersion"/>.
/// </summary>
public sealed class EntryCodecSnapshotTests
{

    private const string StreamBody =
        "{\"model\":\"claude-haiku-4-5-20251001\",\"id\":\"msg_01SnapshotV1\",\"type\":\"message\",\"role\":\"assistant\"," +
        "\"content\":[{\"type\":\"text\",\"text\":\"Bonjour ! Ça va très bien, merci. 🙂\"}],\"stop_reason\":\"end_turn\"," +
        "\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0," +
        "\"cache_creation\":{\"ephemeral_5m_input_tokens\":0,\"ephemeral_1h_input_tokens\":0},\"output_tokens\":15," +
        "\"service_tier\":\"standard\",\"inference_geo\":\"not_available\"}}";

    private const string StreamSse =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-haiku-4-5-20251001\",\"id\":\"msg_01SnapshotV1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"cache_creation\":{\"ephemeral_5m_input_tokens\":0,\"ephemeral_1h_input_tokens\":0},\"output_tokens\":1,\"service_tier\":\"standard\",\"inference_geo\":\"not_available\"}}              }\n\n" +
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}      }\n\n" +
        "event: ping\ndata: {\"type\": \"ping\"}\n\n" +
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Bonjour ! Ça va\"}           }\n\n" +
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" très bien, merci. 🙂\"}  }\n\n" +
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0                }\n\n" +
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":15}   }\n\n" +
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    private static readonly CachedResponse StreamEntry = new()
    {
            Kind = ResponseKind.Message,
            CreatedAt = new DateTimeOffset(2025, 11, 3, 9, 30, 0, 250, TimeSpan.Zero),
            ExpiresAt = new DateTimeOffset(2025, 11, 3, 13, 30, 0, 250, TimeSpan.Zero),
            Strategy = CacheStrategy.Standard,
            Model = "claude-haiku-4-5-20251001",
            ContextType = "conversation",
            Namespace = "équipe-support",
            Body = Encoding.UTF8.GetBytes(StreamBody),
            RawSse = Encoding.UTF8.GetBytes(StreamSse),
    };

    /// <summary>The stream entry with the upstream headers a hit carries (format version 4 on).</summary>
    private static readonly CachedResponse StreamEntryWithHeaders = StreamEntry with
    {
        Headers = [new("anthropic-organization-id", "5f1c2a9e-0d4b-4e7a-9c3f-2b8e6d1a7c40")],
    };

    private static readonly CachedResponse TinyEntry = new()
    {
            Kind = ResponseKind.CountTokens,
            CreatedAt = new DateTimeOffset(2025, 11, 3, 9, 31, 0, TimeSpan.Zero),
            ExpiresAt = new DateTimeOffset(2025, 11, 4, 9, 31, 0, TimeSpan.Zero),
            Strategy = CacheStrategy.Aggressive,
            Body = "{\"input_tokens\":2095}"u8.ToArray(),
    };

    /// <summary>Every committed snapshot: its file, the format version that wrote it, and what it holds.</summary>
    private static readonly (string File, byte Version, CachedResponse Entry)[] Snapshots =
    [
        ("entry-v1-stream.bin", 1, StreamEntry),
        ("entry-v1-tiny.bin", 1, TinyEntry),
        ("entry-v2-stream.bin", 2, StreamEntry),
        ("entry-v2-tiny.bin", 2, TinyEntry),
        ("entry-v3-stream.bin", 3, StreamEntry),
        ("entry-v3-tiny.bin", 3, TinyEntry),
        (TrainedSnapshot, 3, StreamEntry),
        ("entry-v4-stream.bin", 4, StreamEntryWithHeaders),
        ("entry-v4-tiny.bin", 4, TinyEntry),
    ];

    /// <summary>A version 3 entry compressed with a dictionary trained on a store's entries (saved next to it).</summary>
    private const string TrainedSnapshot = "entry-v3-trained.bin";

    private const string TrainedDictionaryFile = "dictionary-v3-trained.zdict";

    public static TheoryData<string> SnapshotFiles => [.. Snapshots.Select(s => s.File)];

    [Theory]
    [MemberData(nameof(SnapshotFiles))]
    public void Snapshot_OfEveryReleasedVersion_StillDecodesToTheSameFields(string file)
    {
        var (_, version, expected) = Snapshots.Single(s => s.File == file);
        var payload = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Entries", "Snapshots", file));

        Assert.Equal(version, payload[4]); // written by that format version, whatever the current version is
        var dictionaries = new EntryDictionarySet();
        if (file == TrainedSnapshot)
        {
            Assert.Equal(DecodeStatus.UnknownDictionary, EntryCodec.TryDecode(payload, dictionaries, out _));
            Assert.True(EntryDictionary.TryCreate(ReadSnapshot(TrainedDictionaryFile), DateTimeOffset.UnixEpoch, out var trained));
            Assert.True(EntryCodec.TryGetDictionaryId(payload, out var id));
            Assert.Equal(trained!.Id, id);
            dictionaries.Add(trained);
        }

        Assert.Equal(DecodeStatus.Ok, EntryCodec.TryDecode(payload, dictionaries, out var decoded));
        EntryAssert.Equal(expected, decoded);
    }

    private static byte[] ReadSnapshot(string file) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Entries", "Snapshots", file));

    [Fact]
    public void Snapshots_CoverCompressedAndRawBodies_InEachVersion()
    {
        byte[] FlagsOf(byte version) => [.. Snapshots.Where(s => s.Version == version)
            .Select(s => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Entries", "Snapshots", s.File))[13])];

        Assert.Equal(new HashSet<byte> { 0, EntryCodec.FlagCompressed }, FlagsOf(1).ToHashSet());
        Assert.Equal(new HashSet<byte> { 0, EntryCodec.FlagCompressed | EntryCodec.FlagDictionary }, FlagsOf(2).ToHashSet());
        Assert.Equal(new HashSet<byte> { 0, EntryCodec.FlagCompressed | EntryCodec.FlagDictionary }, FlagsOf(3).ToHashSet());
        Assert.Equal(new HashSet<byte> { 0, EntryCodec.FlagCompressed | EntryCodec.FlagDictionary }, FlagsOf(4).ToHashSet());
    }

    /// <summary>
    /// Writes the snapshot files of the current version into the source tree — a tool, not a check, so it is
    /// explicit: <c>dotnet test --filter WriteSnapshots -- xUnit.Explicit=only</c>. It writes only files that do
    /// not exist yet: a committed snapshot is never overwritten.
    /// </summary>
    [Fact(Explicit = true)]
    public void WriteSnapshots()
    {
        var directory = Path.Combine(SourceDirectory(), "Snapshots");
        Directory.CreateDirectory(directory);

        var dictionaryPath = Path.Combine(directory, TrainedDictionaryFile);
        if (!File.Exists(dictionaryPath))
        {
            var samples = AnswerCorpus.All.Select(a => AnswerCorpus.MessageJson(a)).ToList();
            File.WriteAllBytes(dictionaryPath, ZstdSharp.DictBuilder.TrainFromBuffer(samples, 16 * 1024).ToArray());
        }

        Assert.True(EntryDictionary.TryCreate(File.ReadAllBytes(dictionaryPath), DateTimeOffset.UnixEpoch, out var trained));

        // A version's snapshots are written by that version only.
        foreach (var (file, _, entry) in Snapshots.Where(s => s.Version == EntryCodec.FormatVersion))
        {
            var path = Path.Combine(directory, file);
            if (!File.Exists(path))
            {
                File.WriteAllBytes(path, file == TrainedSnapshot ? EntryCodec.Encode(entry, trained!) : EntryCodec.Encode(entry));
            }
        }
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
