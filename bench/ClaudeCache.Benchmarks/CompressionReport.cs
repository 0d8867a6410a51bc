using System.Globalization;
using ClaudeCache.Entries;
using ClaudeCache.Testing;

namespace ClaudeCache.Benchmarks;

/// <summary>
/// <c>--compression</c>: compression ratios on the 75 realistic answers of <see cref="AnswerCorpus"/>, out of sample.
/// Five folds: a store trains on four fifths of the answers (the product's trainer) and the other fifth is measured,
/// with the shipped dictionary and with the trained one. Ratio = raw response bytes (JSON + SSE) ÷ stored bytes,
/// header included. Prints medians per kind of answer and overall.
/// </summary>
internal static class CompressionReport
{
    private const int Folds = 5;

    public static void Run()
    {
        var answers = AnswerCorpus.All;
        foreach (var withStream in new[] { false, true })
        {
            var shipped = new List<(string Category, double Ratio)>();
            var trained = new List<(string Category, double Ratio)>();
            for (var fold = 0; fold < Folds; fold++)
            {
                var training = Enumerable.Range(0, answers.Count).Where(i => i % Folds != fold).Select(i => TrainedDictionaries.Entry(i, withStream)).ToList();
                var dictionary = TrainedDictionaries.Train(training);
                foreach (var i in Enumerable.Range(0, answers.Count).Where(i => i % Folds == fold))
                {
                    var entry = TrainedDictionaries.Entry(i, withStream);
                    var raw = (double)(entry.Body.Length + entry.RawSse.Length);
                    shipped.Add((answers[i].Category, raw / EntryCodec.Encode(entry, EntryDictionary.Shipped).Length));
                    trained.Add((answers[i].Category, raw / EntryCodec.Encode(entry, dictionary).Length));
                }
            }

            Console.WriteLine();
            Console.WriteLine(withStream ? "Message + SSE stream entries" : "JSON-only entries (the Message alone)");
            Console.WriteLine("| answers | n | shipped dictionary, median | trained on the store, median | trained, lowest |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            foreach (var group in trained.GroupBy(r => r.Category).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var own = group.Select(r => r.Ratio).ToArray();
                var ship = shipped.Where(r => r.Category == group.Key).Select(r => r.Ratio).ToArray();
                Row(group.Key, own.Length, Median(ship), Median(own), own.Min());
            }

            Row("**all**", trained.Count, Median([.. shipped.Select(r => r.Ratio)]), Median([.. trained.Select(r => r.Ratio)]), trained.Min(r => r.Ratio));
        }
    }

    private static void Row(string name, int count, double shipped, double trained, double lowest) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {count} | {shipped:F2}× | {trained:F2}× | {lowest:F2}× |"));

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
