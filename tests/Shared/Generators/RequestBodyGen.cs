using System.Globalization;
using System.Text;
using CsCheck;

namespace ClaudeCache.Tests.Shared.Generators;

/// <summary>
/// Generated request bodies, as bytes: valid Messages requests, the same with any field swapped for any JSON value,
/// random JSON, random bytes, and valid bodies carrying lone surrogate escapes or bytes that are not UTF-8.
/// </summary>
internal static class RequestBodyGen
{
    // String pieces: plain, non-ASCII, escaped, surrogate pairs, and an escaped backslash before "ud800" (valid
    // text that a naive scanner would take for an escape)...
    private static readonly Gen<string> Readable = Gen.OneOf(
        Gen.Const("a"), Gen.Const("hi "), Gen.Const("explain "), Gen.Const("é"), Gen.Const("😀"), Gen.Const("Zürich"),
        Gen.Const("\\n"), Gen.Const("\\\""), Gen.Const("\\u0041"), Gen.Const("\\ud83d\\ude00"), Gen.Const("\\\\ud800"),
        Gen.Const("user"), Gen.Const("text"));

    // ...and lone surrogates, which JSON's grammar allows and .NET cannot read.
    private static readonly Gen<string> Piece = Gen.Frequency(
        (6, Readable), (1, Gen.OneOf(Gen.Const("\\ud800"), Gen.Const("\\udc00"), Gen.Const("\\udbff\\u0041"))));

    private static readonly Gen<string> JsonString = Piece.Array[0, 4].Select(p => "\"" + string.Concat(p) + "\"");

    private static readonly Gen<string> ReadableString = Readable.Array[0, 4].Select(p => "\"" + string.Concat(p) + "\"");

    private static readonly Gen<string> Number = Gen.OneOf(
        Gen.Int[-3, 5000].Select(i => i.ToString(CultureInfo.InvariantCulture)),
        Gen.OneOf(Gen.Const("-1"), Gen.Const("1.5"), Gen.Const("0.5"), Gen.Const("1e3"), Gen.Const("1E400"), Gen.Const("-0.0"),
            Gen.Const("123456789012345678901234567890"), Gen.Const("1e-400"), Gen.Const("2048"), Gen.Const("1024")));

    private static readonly Gen<string> Scalar = Gen.OneOf(Gen.Const("null"), Gen.Const("true"), Gen.Const("false"), Number, JsonString);

    private static readonly Gen<string> Value1 = Compound(Scalar);

    /// <summary>Any JSON value, nested up to three levels.</summary>
    public static readonly Gen<string> AnyValue = Compound(Value1);

    private static readonly Gen<string> Content = Gen.OneOf(
        ReadableString,
        ReadableString.Select(t => """[{"type":"text","text":""" + t + "}]"),
        ReadableString.Select(t => """[{"type":"text","text":""" + t + ""","cache_control":{"type":"ephemeral"}},{"type":"text","text":"more"}]"""));

    private static readonly Gen<string> Message = Gen.Select(Gen.OneOf(Gen.Const("user"), Gen.Const("assistant")), Content,
        (role, content) => $$"""{"role":"{{role}}","content":{{content}}}""");

    // Every field the validator knows, each with values the API accepts.
    private static readonly (string Name, Gen<string> Valid, bool Required)[] Fields =
    [
        ("model", Gen.OneOf(Gen.Const("\"claude-sonnet-4-5\""), Gen.Const("\"claude-haiku-4-5\"")), true),
        ("max_tokens", Gen.Int[1, 4096].Select(i => i.ToString(CultureInfo.InvariantCulture)), true),
        ("messages", Message.Array[1, 3].Select(m => "[" + string.Join(",", m) + "]"), true),
        ("stream", Gen.OneOf(Gen.Const("true"), Gen.Const("false")), false),
        ("temperature", Gen.OneOf(Gen.Const("0"), Gen.Const("0.7"), Gen.Const("1")), false),
        ("top_p", Gen.OneOf(Gen.Const("0"), Gen.Const("0.9"), Gen.Const("1")), false),
        ("top_k", Gen.Int[0, 50].Select(i => i.ToString(CultureInfo.InvariantCulture)), false),
        ("stop_sequences", Gen.Const("""["\n\nHuman:"]"""), false),
        ("system", Content, false),
        ("tools", Gen.OneOf(
            Gen.Const("""[{"name":"get_weather","input_schema":{"type":"object"}}]"""),
            Gen.Const("""[{"type":"custom","name":"f","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}]"""),
            Gen.Const("""[{"type":"web_search_20250305","name":"web_search","max_uses":3}]""")), false),
        ("tool_choice", Gen.OneOf(
            Gen.Const("""{"type":"auto"}"""), Gen.Const("""{"type":"any","disable_parallel_tool_use":true}"""),
            Gen.Const("""{"type":"none"}"""), Gen.Const("""{"type":"tool","name":"get_weather"}""")), false),
        ("metadata", Gen.OneOf(Gen.Const("""{"user_id":"u-1"}"""), Gen.Const("""{"user_id":null}"""), Gen.Const("{}")), false),
        ("thinking", Gen.OneOf(
            Gen.Const("""{"type":"enabled","budget_tokens":1024}"""), Gen.Const("""{"type":"disabled"}"""), Gen.Const("""{"type":"adaptive"}""")), false),
        ("service_tier", Gen.Const("\"auto\""), false),
    ];

    /// <summary>A request body the API accepts.</summary>
    public static readonly Gen<string> Valid = Request(mutate: false);

    /// <summary>A valid body with some fields dropped or swapped for any JSON value (wrong types included).</summary>
    public static readonly Gen<string> Mutated = Request(mutate: true);

    /// <summary>Bytes that are not UTF-8: lone continuation, overlong, encoded surrogate, truncated, 0xFF.</summary>
    private static readonly Gen<byte[]> InvalidUtf8 = Gen.OneOf(
        Gen.Const(new byte[] { 0xFF }), Gen.Const(new byte[] { 0x80 }), Gen.Const(new byte[] { 0xC0, 0x80 }),
        Gen.Const(new byte[] { 0xED, 0xA0, 0x80 }), Gen.Const(new byte[] { 0xE2, 0x82 }), Gen.Const(new byte[] { 0xF4, 0x90, 0x80, 0x80 }));

    /// <summary>A valid body with bytes that are not UTF-8 inserted just after one of its quotes.</summary>
    private static readonly Gen<byte[]> WithInvalidUtf8 = Gen.Select(Valid, InvalidUtf8, Gen.Int[0, 1000], (body, bad, at) =>
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var quotes = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] == (byte)'"').ToArray();
        var after = quotes[at % quotes.Length] + 1;
        return (byte[])[.. bytes.AsSpan(0, after), .. bad, .. bytes.AsSpan(after)];
    });

    /// <summary>Every kind of body, weighted towards the ones that parse.</summary>
    public static readonly Gen<byte[]> AnyBody = Gen.Frequency(
        (2, Valid.Select(Encoding.UTF8.GetBytes)),
        (6, Mutated.Select(Encoding.UTF8.GetBytes)),
        (2, AnyValue.Select(Encoding.UTF8.GetBytes)),
        (1, Gen.Byte.Array[0, 40]),
        (3, WithInvalidUtf8));

    private static Gen<string> Compound(Gen<string> inner) => Gen.Frequency(
        (4, Scalar),
        (1, inner.Array[0, 3].Select(items => "[" + string.Join(",", items) + "]")),
        (1, Gen.Select(JsonString, inner).Array[0, 3].Select(members => "{" + string.Join(",", members.Select(m => m.Item1 + ":" + m.Item2)) + "}")));

    private static Gen<string> Request(bool mutate)
    {
        // Per field: 0 = the valid value (or absent when optional), 1 = absent, 2 = any JSON value.
        var choice = mutate ? Gen.Frequency((24, Gen.Const(0)), (1, Gen.Const(1)), (2, Gen.Const(2))) : Gen.Const(0);
        var members = Fields.Select(field => Gen.Select(choice, Gen.Bool, field.Valid, AnyValue, (c, include, valid, any) =>
            c switch
            {
                0 when field.Required || include => $"\"{field.Name}\":{valid}",
                2 => $"\"{field.Name}\":{any}",
                _ => null,
            })).ToArray();
        var extra = Gen.Select(Gen.Bool, JsonString, AnyValue, (include, name, value) => mutate && include ? name + ":" + value : null);
        return Gen.Select(members.Aggregate(Gen.Const(Enumerable.Empty<string?>()), (all, member) => Gen.Select(all, member, (a, m) => a.Append(m))), extra,
            (all, more) => "{" + string.Join(",", all.Append(more).OfType<string>()) + "}");
    }
}
