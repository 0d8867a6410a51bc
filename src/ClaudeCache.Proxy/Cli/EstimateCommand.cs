using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ClaudeCache.Costs;
using ClaudeCache.Policy;
using ClaudeCache.Proxy.Admin;
using ClaudeCache.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Spectre.Console;

namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// <c>claudecache estimate</c>: what the traffic of the last days would have hit and saved under the current TTLs, a
/// candidate configuration (<c>--config</c>) and no expiry (the ceiling), from a running proxy (<c>--url</c>) or straight
/// from the request log in the database file (<c>--db</c>, the default).
/// </summary>
internal static class EstimateCommand
{
    public static Command Create()
    {
        var source = new SourceOptions(
            url: "Read /admin/estimate from a running proxy at this base URL (e.g. http://127.0.0.1:8787).",
            database: "Read the request log straight from this SQLite file; no proxy needed (default ./claudecache.db).");
        var days = new Option<string>("--days") { Description = "How many days back (default 7).", DefaultValueFactory = _ => "7" };
        var to = new Option<string?>("--to") { Description = "End of the range, ISO 8601 (default now)." };
        var config = new Option<string?>("--config") { Description = "A candidate configuration file (appsettings format): its ClaudeCache:Strategies TTLs are replayed too." };
        var json = new Option<bool>("--json") { Description = "Print the /admin/estimate JSON instead of a table." };
        var command = new Command("estimate", "Replay the logged traffic under the current TTLs, a candidate configuration and no expiry: realised savings as a fraction of the possible.")
        {
            source.Url, source.AdminToken, source.Database, days, to, config, json,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!ReportOptions.TryRead(parse, "estimate", source, to, out var end))
            {
                return 2;
            }

            var arguments = source.Read<EstimateArguments>(parse) with
            {
                Days = parse.GetValue(days) ?? "7",
                To = end,
                Config = parse.GetValue(config),
                Json = parse.GetValue(json),
            };
            return await RunAsync(arguments, Console.Out, Console.Error, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Reads the estimate and prints it; returns the exit code (0, 2 for a failure the user can fix, 1 otherwise).</summary>
    public static async Task<int> RunAsync(EstimateArguments arguments, TextWriter output, TextWriter error, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(time);
        var (report, failure) = await ReadAsync(arguments, time, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return await failure.ReportAsync(error).ConfigureAwait(false);
        }

        if (arguments.Json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(report!, AdminJsonContext.Default.EstimateReport)).ConfigureAwait(false);
        }
        else
        {
            Render(StatsTables.CreateConsole(output), report!, arguments.Url ?? Path.GetFullPath(arguments.Database));
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<(EstimateReport?, CliFailure?)> ReadAsync(EstimateArguments arguments, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!EstimateQuery.TryParseDays(arguments.Days, out var days))
        {
            return (null, CliFailure.Usage($"--days '{arguments.Days}' is not a number of days above 0 and at most {EstimateQuery.MaxDays:0}."));
        }

        byte[]? candidate = null;
        if (arguments.Config is { } config)
        {
            var info = new FileInfo(config);
            if (!info.Exists)
            {
                return (null, CliFailure.Usage($"no candidate configuration at '{info.FullName}'."));
            }

            if (info.Length > CandidateStrategies.MaxBytes)
            {
                return (null, CliFailure.Usage($"--config '{info.FullName}' is over {CandidateStrategies.MaxBytes / 1024} KiB."));
            }

            candidate = await File.ReadAllBytesAsync(info.FullName, cancellationToken).ConfigureAwait(false);
        }

        if (arguments.Url is { } url)
        {
            return await FromProxyAsync(url, arguments, candidate, cancellationToken).ConfigureAwait(false);
        }

        var scenarios = new List<EstimateScenario>();
        if (candidate is not null)
        {
            // No running configuration here: the candidate's TTLs apply on top of the defaults.
            using var json = new MemoryStream(candidate);
            if (!CandidateStrategies.TryRead(json, new StrategyOptions(), out var scenario, out var problem))
            {
                return (null, CliFailure.Usage($"--config: {problem}"));
            }

            scenarios.Add(scenario!);
        }

        return await FromDatabaseAsync(arguments, days, scenarios, time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GET (or, with a candidate, POST) /admin/estimate with the same range.</summary>
    private static async Task<(EstimateReport?, CliFailure?)> FromProxyAsync(string url, EstimateArguments arguments, byte[]? candidate, CancellationToken cancellationToken)
    {
        var query = "admin/estimate?days=" + Uri.EscapeDataString(arguments.Days);
        if (arguments.To is { } to)
        {
            query += "&to=" + Uri.EscapeDataString(to.ToString("O", CultureInfo.InvariantCulture));
        }

        return await AdminApi.AskAsync(url, candidate is null ? HttpMethod.Get : HttpMethod.Post, query, arguments.AdminToken, AdminJsonContext.Default.EstimateReport, "an estimate",
            cancellationToken, candidate).ConfigureAwait(false);
    }

    /// <summary>The request log of the SQLite file, through the same ledger and estimator the proxy uses.</summary>
    private static async Task<(EstimateReport?, CliFailure?)> FromDatabaseAsync(EstimateArguments arguments, double days, List<EstimateScenario> scenarios, TimeProvider time, CancellationToken cancellationToken)
    {
        // Checked first: opening a missing file would create an empty database and estimate nothing.
        if (!File.Exists(arguments.Database))
        {
            return (null, CliFailure.Usage($"no database at '{Path.GetFullPath(arguments.Database)}' (pass --db PATH, or --url to ask a running proxy)."));
        }

        var to = arguments.To ?? time.GetUtcNow();
        var from = to - TimeSpan.FromDays(days);
        try
        {
            // A ledger whose timer never fires: nothing is recorded here, it only reads what the proxy flushed.
            var ledger = new SavingsLedger(SqliteLedgerStore.OpenGuarded(arguments.Database), time, Timeout.InfiniteTimeSpan);
            await using (ledger.ConfigureAwait(false))
            {
                var rows = await ledger.QueryRequestsAsync(from, to, cancellationToken).ConfigureAwait(false);
                return (SavingsEstimator.Estimate(rows, from, to, scenarios), null);
            }
        }
        catch (Exception ex) when ((ex is SqliteException or IOException) && CliFailure.IsHeldElsewhere(ex))
        {
            return (null, CliFailure.HeldElsewhere(arguments.Database));
        }
        catch (Exception ex) when (ex is SqliteException or IOException)
        {
            return (null, CliFailure.Other($"cannot read the request log in '{Path.GetFullPath(arguments.Database)}': {ex.Message}"));
        }
    }

    private static void Render(IAnsiConsole console, EstimateReport report, string source)
    {
        console.Write(new Text($"ClaudeCache estimate: {StatsFormat.Time(report.From)} to {StatsFormat.Time(report.To)}", new Style(decoration: Decoration.Bold)));
        console.WriteLine();
        console.Write(new Text($"Source: {source}; {StatsFormat.Count(report.Requests)} requests, {StatsFormat.Count(report.Keys)} distinct keys"));
        console.WriteLine();
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in new[] { "Scenario", "TTLs", "Hits", "Hit ratio", "Spent", "Saved", "Of ceiling" })
        {
            table.AddColumn(new TableColumn(column) { Alignment = column is "Scenario" or "TTLs" ? Justify.Left : Justify.Right });
        }

        foreach (var figures in report.Scenarios.Prepend(report.Realised))
        {
            table.AddRow(
                Markup.Escape(figures.Name),
                Markup.Escape(Ttls(figures)),
                StatsFormat.Count(figures.Hits),
                StatsFormat.Percent(figures.HitRatio),
                StatsFormat.Money(figures.CostUsd),
                StatsFormat.Money(figures.SavingsUsd),
                figures.FractionOfCeiling is { } fraction ? StatsFormat.Percent(fraction) : "–");
        }

        console.Write(table);
    }

    private static string Ttls(EstimateFigures figures) => figures switch
    {
        { TtlSeconds: { } ttls } => string.Join(", ", ttls.Select(t => $"{t.Key} {TimeSpan.FromSeconds(t.Value).ToString("c", CultureInfo.InvariantCulture)}")),
        { Name: "ceiling" } => "no expiry",
        { Name: "realised" } => "as served",
        _ => "as configured when served",
    };
}
