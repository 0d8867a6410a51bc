using System.Globalization;
using System.Text.Json;

namespace ClaudeCache.Costs;

/// <summary>
/// Reads the price file format of docs/pricing.md. Every problem is an <see cref="InvalidDataException"/> naming the
/// file and the JSON path, because the people who read these messages are editing the file by hand.
/// </summary>
internal static class PriceFileReader
{
    /// <summary>The format version this reader understands.</summary>
    public const int FormatVersion = 1;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        // Hand-edited file: let users say why they changed a price.
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private static readonly string[] RateNames = ["input", "cacheWrite5m", "cacheWrite1h", "cacheRead", "output"];

    /// <summary>Parses one file; <paramref name="source"/> starts every error message ("Price file '/etc/prices.json'").</summary>
    /// <param name="json">The file's bytes.</param>
    /// <param name="source">What to call the file in messages.</param>
    /// <param name="isOverride">An override file may omit <c>batchMultiplier</c> and <c>families</c>.</param>
    public static PriceFile Read(Stream json, string source, bool isOverride)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"{source} is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }

        using (document)
        {
            return new Reader(source).ReadFile(document.RootElement, isOverride);
        }
    }

    private sealed class Reader(string source)
    {
        public PriceFile ReadFile(JsonElement root, bool isOverride)
        {
            ExpectObject(root, "$");
            RejectUnknown(root, "$", "version", "updated", "source", "batchMultiplier", "families");

            int version = root.TryGetProperty("version", out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n)
                ? n
                : throw Fail("$.version", "expected the format version as an integer (1)");
            if (version != FormatVersion)
            {
                throw Fail("$.version", $"format version {version} is not supported; this build reads version {FormatVersion}");
            }

            DateOnly updated = ReadDate(Required(root, "updated", "$"), "$.updated");
            decimal? batch = root.TryGetProperty("batchMultiplier", out JsonElement b)
                ? ReadMultiplier(b, "$.batchMultiplier", maximum: 1m)
                : isOverride ? null : throw Fail("$.batchMultiplier", "missing (the Batch API multiplier, 0.5 for 50% off)");
            if (root.TryGetProperty("source", out JsonElement s))
            {
                ReadString(s, "$.source");
            }

            var families = new List<ModelPrice>();
            if (root.TryGetProperty("families", out JsonElement list))
            {
                if (list.ValueKind != JsonValueKind.Array)
                {
                    throw Fail("$.families", $"expected an array of families, found {Describe(list)}");
                }

                foreach (JsonElement family in list.EnumerateArray())
                {
                    families.Add(ReadFamily(family, $"$.families[{families.Count}]"));
                }
            }

            if (families.Count == 0 && !isOverride)
            {
                throw Fail("$.families", "the price table lists no families");
            }

            CheckPrefixesUnique(families);
            return new PriceFile(version, updated, batch, families);
        }

        private ModelPrice ReadFamily(JsonElement family, string path)
        {
            ExpectObject(family, path);
            string name = ReadString(Required(family, "name", path), path + ".name");
            path = $"{path} (\"{name}\")";
            RejectUnknown(family, path, "name", "prefixes", "rates", "regionalMultiplier", "longPrompt", "changes", "speeds", "note");

            JsonElement prefixList = Required(family, "prefixes", path);
            if (prefixList.ValueKind != JsonValueKind.Array || prefixList.GetArrayLength() == 0)
            {
                throw Fail(path + ".prefixes", "expected a non-empty array of model-id prefixes");
            }

            var prefixes = new List<string>();
            foreach (JsonElement p in prefixList.EnumerateArray())
            {
                string prefixPath = $"{path}.prefixes[{prefixes.Count}]";
                string prefix = ReadString(p, prefixPath);
                if (prefix.EndsWith('-') || prefix.EndsWith('@') || prefix.Any(char.IsWhiteSpace))
                {
                    throw Fail(prefixPath, $"\"{prefix}\" is not a model-id prefix (no spaces, no trailing '-'; write \"claude-sonnet-4-5\")");
                }

                prefixes.Add(prefix);
            }

            return new ModelPrice
            {
                Name = name,
                Prefixes = prefixes,
                Rates = ReadRates(Required(family, "rates", path), path + ".rates"),
                RegionalMultiplier = family.TryGetProperty("regionalMultiplier", out JsonElement r)
                    ? ReadMultiplier(r, path + ".regionalMultiplier", maximum: null)
                    : 1m,
                LongPrompt = family.TryGetProperty("longPrompt", out JsonElement l) ? ReadLongPrompt(l, path + ".longPrompt") : null,
                Changes = family.TryGetProperty("changes", out JsonElement c) ? ReadChanges(c, path + ".changes") : [],
                Speeds = family.TryGetProperty("speeds", out JsonElement s) ? ReadSpeeds(s, path + ".speeds") : new Dictionary<string, TokenRates>(),
                Note = family.TryGetProperty("note", out JsonElement note) ? ReadString(note, path + ".note") : null,
            };
        }

        private TokenRates ReadRates(JsonElement rates, string path)
        {
            ExpectObject(rates, path);
            RejectUnknown(rates, path, RateNames);
            decimal Rate(string name) => ReadRate(Required(rates, name, path), $"{path}.{name}");
            return new TokenRates(Rate("input"), Rate("cacheWrite5m"), Rate("cacheWrite1h"), Rate("cacheRead"), Rate("output"));
        }

        private LongPromptTier ReadLongPrompt(JsonElement tier, string path)
        {
            ExpectObject(tier, path);
            RejectUnknown(tier, path, "aboveTokens", "rates");
            JsonElement above = Required(tier, "aboveTokens", path);
            if (above.ValueKind != JsonValueKind.Number || !above.TryGetInt64(out long tokens) || tokens <= 0)
            {
                throw Fail(path + ".aboveTokens", $"expected a positive whole number of prompt tokens, found {Describe(above)}");
            }

            return new LongPromptTier(tokens, ReadRates(Required(tier, "rates", path), path + ".rates"));
        }

        private List<PriceChange> ReadChanges(JsonElement changes, string path)
        {
            if (changes.ValueKind != JsonValueKind.Array)
            {
                throw Fail(path, $"expected an array of dated changes, found {Describe(changes)}");
            }

            var result = new List<PriceChange>();
            foreach (JsonElement change in changes.EnumerateArray())
            {
                string at = $"{path}[{result.Count}]";
                ExpectObject(change, at);
                RejectUnknown(change, at, "effectiveFrom", "rates");
                DateOnly from = ReadDate(Required(change, "effectiveFrom", at), at + ".effectiveFrom");
                JsonElement rates = Required(change, "rates", at);
                ExpectObject(rates, at + ".rates");
                RejectUnknown(rates, at + ".rates", RateNames);
                decimal? Rate(string name) => rates.TryGetProperty(name, out JsonElement e) ? ReadRate(e, $"{at}.rates.{name}") : null;
                var parsed = new PriceChange(from, Rate("input"), Rate("cacheWrite5m"), Rate("cacheWrite1h"), Rate("cacheRead"), Rate("output"));
                if (parsed is { Input: null, CacheWrite5m: null, CacheWrite1h: null, CacheRead: null, Output: null })
                {
                    throw Fail(at + ".rates", "a change must give at least one rate");
                }

                if (result.Count > 0 && result[^1].EffectiveFrom >= from)
                {
                    throw Fail(at + ".effectiveFrom", "changes must be listed oldest first, one per date");
                }

                result.Add(parsed);
            }

            return result;
        }

        private Dictionary<string, TokenRates> ReadSpeeds(JsonElement speeds, string path)
        {
            ExpectObject(speeds, path);
            var result = new Dictionary<string, TokenRates>(StringComparer.OrdinalIgnoreCase);
            foreach (JsonProperty speed in speeds.EnumerateObject())
            {
                if (!result.TryAdd(speed.Name, ReadRates(speed.Value, $"{path}.{speed.Name}")))
                {
                    throw Fail($"{path}.{speed.Name}", "listed twice");
                }
            }

            return result;
        }

        private void CheckPrefixesUnique(List<ModelPrice> families)
        {
            var owners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (ModelPrice family in families)
            {
                foreach (string prefix in family.Prefixes)
                {
                    if (!owners.TryAdd(prefix, family.Name))
                    {
                        throw Fail("$.families", $"prefix \"{prefix}\" is listed by both \"{owners[prefix]}\" and \"{family.Name}\"");
                    }
                }
            }
        }

        private decimal ReadRate(JsonElement value, string path) =>
            value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out decimal rate) && rate >= 0
                ? rate
                : throw Fail(path, $"expected a non-negative number of USD per million tokens, found {Describe(value)}");

        private decimal ReadMultiplier(JsonElement value, string path, decimal? maximum) =>
            value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out decimal m) && m > 0 && (maximum is null || m <= maximum)
                ? m
                : throw Fail(path, $"expected a multiplier greater than 0{(maximum is null ? "" : $" and at most {maximum}")}, found {Describe(value)}");

        private DateOnly ReadDate(JsonElement value, string path) =>
            value.ValueKind == JsonValueKind.String
            && DateOnly.TryParseExact(value.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly date)
                ? date
                : throw Fail(path, $"expected a date as \"yyyy-MM-dd\", found {Describe(value)}");

        private string ReadString(JsonElement value, string path) =>
            value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
                ? text
                : throw Fail(path, $"expected a non-empty string, found {Describe(value)}");

        private JsonElement Required(JsonElement obj, string name, string path) =>
            obj.TryGetProperty(name, out JsonElement value) ? value : throw Fail($"{path}.{name}", "missing");

        private void ExpectObject(JsonElement value, string path)
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                throw Fail(path, $"expected an object, found {Describe(value)}");
            }
        }

        // A misspelt key ("ouput", "regionalMultipler") would otherwise be ignored and the default billed silently.
        private void RejectUnknown(JsonElement obj, string path, params string[] known)
        {
            foreach (JsonProperty property in obj.EnumerateObject())
            {
                if (!known.Contains(property.Name, StringComparer.Ordinal))
                {
                    throw Fail($"{path}.{property.Name}", $"unknown property; expected one of: {string.Join(", ", known)}");
                }
            }
        }

        private static string Describe(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.String => $"\"{value.GetString()}\"",
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            JsonValueKind.Null => "null",
            _ => value.ValueKind.ToString().ToLowerInvariant(),
        };

        private InvalidDataException Fail(string path, string problem) => new($"{source}: {path}: {problem}.");
    }
}
