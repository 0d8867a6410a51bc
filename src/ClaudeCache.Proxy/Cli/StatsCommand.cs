using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ClaudeCache.Costs;
using ClaudeCache.Proxy.Admin;
using ClaudeCache.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// <c>claudecache stats</c>: the analytics of <c>/admin/stats</c> as tables (or its JSON with <c>--json</c>), read
/// from a running proxy (<c>--url</c>) or straight from the ledger in the database file (<c>--db</c>, the default).
/// </summary>
internal static class StatsCommand
{
    public static Command Create()
    {
        var source = new SourceOptions(
            url: "Read /admin/stats from a running proxy at this base URL (e.g. http://127.0.0.1:8787).",
            database: "Read the ledger straight from this SQLite file; no proxy needed (default ./claudecache.db).");
        var window = new Option<string>("--window") { Description = "How far back: 30m, 24h, 7d...", DefaultValueFactory = _ => "24h" };
        var to = new Option<string?>("--to") { Description = "End of the range, ISO 8601 (default now)." };
        var dimension = new Option<string?>("--dimension") { Description = $"Filter by one of {string.Join(", ", LedgerNames.Dimensions)}." };
        var value = new Option<string?>("--value") { Description = "The value --dimension must have." };
        var infra = new Option<decimal>("--infra-cost") { Description = "Monthly cost of running the cache in USD, for the ROI (with --db; a proxy uses its configured value)." };
        var json = new Option<bool>("--json") { Description = "Print the /admin/stats JSON instead of tables." };
        var command = new Command("stats", "Print hits, misses, spend, savings, projections and latency as tables, from a running proxy or from the database file.")
        {
            source.Url, source.AdminToken, source.Database, window, to, dimension, value, infra, json,
        };
        // Unknown options reach the action (instead of the parser's exit code 1) so they exit 2 like every other
        // usage error, as docs/stats-command.md says.
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!ReportOptions.TryRead(parse, "stats", source, to, out var end))
            {
                return 2;
            }

            var arguments = source.Read<StatsArguments>(parse) with
            {
                Window = parse.GetValue(window) ?? "24h",
                To = end,
                Dimension = parse.GetValue(dimension),
                Value = parse.GetValue(value),
                InfrastructureCostUsd = parse.GetValue(infra),
                Json = parse.GetValue(json),
            };
            return await RunAsync(arguments, Console.Out, Console.Error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Reads the report and prints it; returns the exit code (0, 2 for a failure the user can fix, 1 otherwise).</summary>
    public static Task<int> RunAsync(StatsArguments arguments, TextWriter output, TextWriter error, CancellationToken cancellationToken) =>
        RunAsync(arguments, output, error, TimeProvider.System, cancellationToken);

    /// <inheritdoc cref="RunAsync(StatsArguments, TextWriter, TextWriter, CancellationToken)"/>
    public static async Task<int> RunAsync(StatsArguments arguments, TextWriter output, TextWriter error, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(time);
        var (report, failure) = Validate(arguments) is { } invalid
            ? (null, invalid)
            : arguments.Url is { } url
                ? await FromProxyAsync(url, arguments, cancellationToken).ConfigureAwait(false)
                : await FromDatabaseAsync(arguments, time, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return await failure.ReportAsync(error).ConfigureAwait(false);
        }

        if (arguments.Json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(report!, AdminJsonContext.Default.SavingsReport)).ConfigureAwait(false);
        }
        else
        {
            StatsTables.Render(StatsTables.CreateConsole(output), report!, arguments.Url ?? Path.GetFullPath(arguments.Database));
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    private static CliFailure? Validate(StatsArguments arguments)
    {
        if (!StatsQuery.TryParseWindow(arguments.Window, out _))
        {
            return CliFailure.Usage($"--window '{arguments.Window}' is not a duration like 30m, 24h or 7d.");
        }

        if (arguments.Dimension is { } dimension && !LedgerNames.Dimensions.Contains(dimension))
        {
            return CliFailure.Usage($"--dimension '{dimension}' is not one of {string.Join(", ", LedgerNames.Dimensions)}.");
        }

        if (arguments.Dimension is null && arguments.Value is not null)
        {
            return CliFailure.Usage("--value needs --dimension.");
        }

        // Without a value the filter would keep only rows whose value is empty and print empty tables.
        if (arguments.Dimension is not null && arguments.Value is null)
        {
            return CliFailure.Usage($"--dimension {arguments.Dimension} needs --value (--value \"\" for rows without one).");
        }

        return arguments.InfrastructureCostUsd < 0 ? CliFailure.Usage("--infra-cost must not be negative.") : null;
    }

    /// <summary>GET /admin/stats with the same window, end and filter; the proxy adds its cache figures and its ROI.</summary>
    private static async Task<(SavingsReport?, CliFailure?)> FromProxyAsync(string url, StatsArguments arguments, CancellationToken cancellationToken)
    {
        var query = "admin/stats?window=" + Uri.EscapeDataString(arguments.Window);
        if (arguments.To is { } to)
        {
            query += "&to=" + Uri.EscapeDataString(to.ToString("O", CultureInfo.InvariantCulture));
        }

        if (arguments.Dimension is { } dimension)
        {
            query += "&dimension=" + Uri.EscapeDataString(dimension) + "&value=" + Uri.EscapeDataString(arguments.Value ?? "");
        }

        return await AdminApi.AskAsync(url, HttpMethod.Get, query, arguments.AdminToken, AdminJsonContext.Default.SavingsReport, "a stats report", cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>The ledger tables of the SQLite file, through the same ledger and analytics the proxy uses.</summary>
    private static async Task<(SavingsReport?, CliFailure?)> FromDatabaseAsync(StatsArguments arguments, TimeProvider time, CancellationToken cancellationToken)
    {
        // Checked first: opening a missing file would create an empty database and report zeros.
        if (!File.Exists(arguments.Database))
        {
            return (null, CliFailure.Usage($"no database at '{Path.GetFullPath(arguments.Database)}' (pass --db PATH, or --url to ask a running proxy)."));
        }

        _ = StatsQuery.TryParseWindow(arguments.Window, out var window); // validated above
        var to = arguments.To ?? time.GetUtcNow();
        var filter = arguments.Dimension is { } dimension ? (dimension, arguments.Value ?? "") : ((string, string)?)null;
        try
        {
            // A ledger whose timer never fires: nothing is recorded here, it only reads what the proxy flushed.
            var ledger = new SavingsLedger(SqliteLedgerStore.OpenGuarded(arguments.Database), time, Timeout.InfiniteTimeSpan);
            await using (ledger.ConfigureAwait(false))
            {
                var report = await AdminEndpoints.BuildReportAsync(ledger, null, to - window, to, filter, arguments.InfrastructureCostUsd, cancellationToken).ConfigureAwait(false);
                return (report, null);
            }
        }
        catch (Exception ex) when ((ex is SqliteException or IOException) && CliFailure.IsHeldElsewhere(ex))
        {
            return (null, CliFailure.HeldElsewhere(arguments.Database));
        }
        catch (Exception ex) when (ex is SqliteException or IOException)
        {
            // IOException: the WAL index (-shm) has a fault, and SQLite was not let near it.
            return (null, CliFailure.Other($"cannot read the ledger in '{Path.GetFullPath(arguments.Database)}': {ex.Message}"));
        }
    }
}
