using System.Text;

namespace ClaudeCache.Tests.Anthropic;

/// <summary>
/// Streams shaped like the API's real traffic: padded data lines, the spaced ping, the old (pre-2025)
/// message_start key order, and non-ASCII text.
/// </summary>
internal static class SseFixtures
{
    public const string Ping = "event: ping\ndata: {\"type\": \"ping\"}\n\n";

    public static readonly string MessageStart = Event("message_start",
        """{"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":1,"service_tier":"standard"}}           }""");

    public static readonly string Text =
        MessageStart
        + Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}      }""")
        + Ping
        + Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}         }""")
        + Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", wörld! \"quoted\"\n🙂"}  }""")
        + Event("content_block_stop", """{"type":"content_block_stop","index":0             }""")
        + Event("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":15}         }""")
        + Event("message_stop", """{"type":"message_stop"              }""");

    // System.Text.Json's relaxed encoder writes non-ASCII raw but still escapes characters outside the BMP
    // (the emoji); both are the same JSON string.
    public const string TextMessage =
        """{"model":"claude-sonnet-4-5-20250929","id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[{"type":"text","text":"Hello, wörld! \"quoted\"\n\uD83D\uDE42"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":15,"service_tier":"standard"}}""";

    public static readonly string ToolUse =
        MessageStart
        + Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}    }""")
        + Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me check the weather."}  }""")
        + Event("content_block_stop", """{"type":"content_block_stop","index":0   }""")
        + Event("content_block_start", """{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}     }""")
        + Event("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}   }""")
        + Event("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"San Fra"}  }""")
        + Event("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ncisco, CA\", \"unit\": \"celsius\"}"}  }""")
        + Event("content_block_stop", """{"type":"content_block_stop","index":1   }""")
        + Event("message_delta", """{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}  }""")
        + Event("message_stop", """{"type":"message_stop"   }""");

    public static readonly string Thinking =
        MessageStart
        + Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}   }""")
        + Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me solve this step by step:\n\n1. "}  }""")
        + Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"27 * 453 = 12231"}  }""")
        + Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}  }""")
        + Event("content_block_stop", """{"type":"content_block_stop","index":0 }""")
        + Event("content_block_start", """{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""} }""")
        + Event("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"27 * 453 = 12,231"} }""")
        + Event("content_block_stop", """{"type":"content_block_stop","index":1 }""")
        + Event("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":120} }""")
        + Event("message_stop", """{"type":"message_stop" }""");

    public static readonly string Citations =
        MessageStart
        + Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"citations":[],"type":"text","text":""} }""")
        + Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location","cited_text":"The grass is green.","document_index":0,"document_title":"Facts","start_char_index":0,"end_char_index":20}} }""")
        + Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"The grass is green."} }""")
        + Event("content_block_stop", """{"type":"content_block_stop","index":0 }""")
        + Event("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":9} }""")
        + Event("message_stop", """{"type":"message_stop" }""");

    public static readonly string MidStreamError =
        MessageStart
        + Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""} }""")
        + Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"} }""")
        + Event("error", """{"type":"error","error":{"details":null,"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}""");

    // The connection dropped in the middle of an event, before message_stop.
    public static readonly string Cut =
        MessageStart
        + Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""} }""")
        + Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"} }""")
        + "event: content_block_delta\ndata: {\"type\":\"content_block_de";

    public static string Event(string name, string json) => $"event: {name}\ndata: {json}\n\n";

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
