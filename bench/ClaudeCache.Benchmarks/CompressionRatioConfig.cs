using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ClaudeCache.Benchmarks;

/// <summary>Adds the compression ratio of each benchmark's entry as a column.</summary>
public sealed class CompressionRatioConfig : ManualConfig
{
    public CompressionRatioConfig() => AddColumn(new RatioColumn());

    private sealed class RatioColumn : IColumn
    {
        public string Id => "CompressionRatio";

        public string ColumnName => "Ratio ×";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Raw response bytes (JSON + SSE) / stored entry bytes";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var shape = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == nameof(CodecBenchmarks.Entry))?.Value;
            var dictionary = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == nameof(CodecBenchmarks.Dictionary))?.Value;
            return shape is EntryShape entryShape
                ? SampleEntries.CompressionRatio(entryShape, dictionary as DictionaryKind? ?? DictionaryKind.Shipped).ToString("F2", System.Globalization.CultureInfo.InvariantCulture)
                : "-";
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
