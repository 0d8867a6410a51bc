using System.Text;

namespace ClaudeCache.Testing;

/// <summary>
/// Realistic assistant answers, the kind Claude returns to a real-estate assistant and to any other API customer:
/// property and market analyses, lead qualification, objection handling, live coaching, explanations and general
/// answers (code, emails, summaries). 75 distinct texts of 0.5–5 KB in markdown, written for this project
/// (<c>Corpus/*.md</c>, embedded). Compression is measured on them: they are never used to train the shipped
/// dictionary (<c>tools/entry-dictionary/train.py</c>), so figures on them are out of sample.
/// </summary>
public static class AnswerCorpus
{
    private const string ResourcePrefix = "ClaudeCache.Testing.Corpus.";

    private static readonly Lazy<IReadOnlyList<CorpusAnswer>> Answers = new(Load);

    /// <summary>Every answer, ordered by name (<c>property-analysis-01</c>, …).</summary>
    public static IReadOnlyList<CorpusAnswer> All => Answers.Value;

    /// <summary>The answer as the API's Message JSON (2025 key order, a fresh message id) from <paramref name="model"/>.</summary>
    public static byte[] MessageJson(CorpusAnswer answer, string model = FakeReply.DefaultModel)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return WireJson.Message(Reply(answer, model));
    }

    /// <summary>A reply the fake upstream sends with the answer as its one text block.</summary>
    public static FakeReply Reply(CorpusAnswer answer, string model = FakeReply.DefaultModel)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return FakeReply.TextReply(answer.Text, model, usage: new FakeUsage(InputTokens: 1200 + (answer.Text.Length % 900), OutputTokens: Math.Max(1, answer.Text.Length / 4)));
    }

    /// <summary>
    /// A responder for <see cref="FakeAnthropicUpstream.Responder"/> that answers each request with the next
    /// corpus answer in turn, so a workload of distinct requests gets distinct realistic answers.
    /// </summary>
    public static Func<ReceivedRequest, FakeReply> RoundRobin()
    {
        var next = -1;
        return _ => Reply(All[(int)((uint)Interlocked.Increment(ref next) % (uint)All.Count)]);
    }

    private static List<CorpusAnswer> Load()
    {
        var assembly = typeof(AnswerCorpus).Assembly;
        var answers = new List<CorpusAnswer>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var name = resource[ResourcePrefix.Length..^".md".Length];
            answers.Add(new CorpusAnswer(name, name[..name.LastIndexOf('-')], reader.ReadToEnd()));
        }

        return answers.Count > 0 ? answers : throw new InvalidOperationException("The answer corpus is missing from the build.");
    }
}
