using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// Turns the configuration stack's exceptions into one line a user can act on: the key, the value, what was
/// expected (never a .NET type name), and for a broken JSON file the line and column.
/// </summary>
internal static partial class ConfigurationErrors
{
    public static string Describe(Exception exception)
    {
        if (Find<JsonException>(exception) is { } json)
        {
            // JsonException counts lines and bytes from 0; editors count from 1.
            var file = FileOf(exception.Message);
            var reason = json.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].Trim();
            return string.Create(CultureInfo.InvariantCulture,
                $"{file ?? "a configuration file"} is not valid JSON: line {json.LineNumber + 1}, column {json.BytePositionInLine + 1}: {reason}");
        }

        if (exception is InvalidDataException { InnerException: FormatException format })
        {
            return $"{FileOf(exception.Message) ?? "a configuration file"}: {format.Message}";
        }

        if (ConversionFailure().Match(exception.Message) is { Success: true } conversion)
        {
            var key = conversion.Groups["key"].Value;
            var value = conversion.Groups["value"].Value;
            return $"{key} is '{value}': {Expected(conversion.Groups["type"].Value)}.";
        }

        return exception.Message;
    }

    /// <summary>What a value of the configuration binder's target type looks like.</summary>
    private static string Expected(string typeName)
    {
        var type = Type.GetType(typeName) ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(typeName)).FirstOrDefault(t => t is not null);
        if (type is not null && Nullable.GetUnderlyingType(type) is { } underlying)
        {
            type = underlying;
        }

        return type switch
        {
            { IsEnum: true } => "expected one of " + string.Join(", ", Enum.GetNames(type)) + " (case-insensitive)",
            _ when type == typeof(TimeSpan) => "expected a duration like 06:00:00 (6 hours), 00:15:00 (15 minutes) or 1.00:00:00 (1 day)",
            _ when type == typeof(bool) => "expected true or false",
            _ when type == typeof(int) || type == typeof(long) => "expected a whole number",
            _ when type == typeof(double) || type == typeof(decimal) => "expected a number like 0.5",
            _ => "not a valid value",
        };
    }

    private static string? FileOf(string message) => QuotedFile().Match(message) is { Success: true } m ? m.Groups["file"].Value : null;

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T found)
            {
                return found;
            }
        }

        return null;
    }

    // "Failed to convert configuration value 'banana' at 'ClaudeCache:Strategies:StandardTtl' to type 'System.TimeSpan'."
    [GeneratedRegex("configuration value '(?<value>.*)' at '(?<key>[^']+)' to type '(?<type>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex ConversionFailure();

    // "Failed to load configuration from file '/etc/claudecache.json'."
    [GeneratedRegex("file '(?<file>[^']+)'")]
    private static partial Regex QuotedFile();
}
