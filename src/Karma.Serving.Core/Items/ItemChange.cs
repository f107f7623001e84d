using System.Buffers;
using System.Text;
using System.Text.Json;
using Karma.Core.Data;

namespace Karma.Serving.Core.Items;

/// <summary>What a change does to a served catalog.</summary>
public enum ItemChangeKind
{
    /// <summary>Add items, or replace items of the same ids.</summary>
    Upsert,

    /// <summary>Remove items by id.</summary>
    Remove,
}

/// <summary>
/// One entry of the item log: items to add or replace (in the documented <c>items.jsonl</c> format) or ids to remove.
/// The log keeps items, not embeddings, so every model version (each with its own item tower) embeds them itself.
/// Serialized as one JSON object: <c>{"op":"upsert","items":[…]}</c> or <c>{"op":"remove","item_ids":[…]}</c>.
/// </summary>
public sealed record ItemChange(ItemChangeKind Kind, IReadOnlyList<Item> Items, IReadOnlyList<string> ItemIds)
{
    /// <summary>When the change was appended to the log (written with it; null when unknown).</summary>
    public DateTimeOffset? Time { get; init; }

    /// <summary>Largest serialized change accepted when read back (a log entry is one RPC's worth of items).</summary>
    public const int MaxJsonBytes = 64 << 20;

    /// <summary>An upsert.</summary>
    public static ItemChange Upsert(IReadOnlyList<Item> items) => new(ItemChangeKind.Upsert, items, []);

    /// <summary>A removal.</summary>
    public static ItemChange Remove(IReadOnlyList<string> itemIds) => new(ItemChangeKind.Remove, [], itemIds);

    /// <summary>The change as one line of JSON.</summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (Time is { } time)
            {
                w.WriteNumber("time_ms", time.ToUnixTimeMilliseconds());
            }

            if (Kind == ItemChangeKind.Upsert)
            {
                w.WriteString("op", "upsert");
                w.WriteStartArray("items");
                foreach (var item in Items)
                {
                    w.WriteRawValue(ItemsJsonl.Format(item), skipInputValidation: true);
                }
            }
            else
            {
                w.WriteString("op", "remove");
                w.WriteStartArray("item_ids");
                foreach (string id in ItemIds)
                {
                    w.WriteStringValue(id);
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a change written by <see cref="ToJson"/>; the <see cref="DataFormatException"/> names <paramref name="source"/> and what is wrong.</summary>
    public static ItemChange Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > MaxJsonBytes)
        {
            throw new DataFormatException(source, $"an item change of {json.Length:N0} characters is larger than {MaxJsonBytes:N0}");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new DataFormatException(source, $"not valid JSON ({e.Message})");
        }

        using (doc)
        {
            var root = doc.RootElement;
            DateTimeOffset? time = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("time_ms", out var t) && t.TryGetInt64(out long ms)
                && ms is > 0 and < 253402300800000 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
            string? op = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("op", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null;
            switch (op)
            {
                case "upsert" when root.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array:
                    return Upsert(items.EnumerateArray().Select((e, i) => ItemsJsonl.Parse(e.GetRawText(), source, i + 1)).ToList()) with { Time = time };
                case "remove" when root.TryGetProperty("item_ids", out var ids) && ids.ValueKind == JsonValueKind.Array:
                    return Remove(ids.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(e.GetString())
                        ? e.GetString()!
                        : throw new DataFormatException(source, $"item_ids[{i}] is not a non-blank string")).ToList()) with { Time = time };
                default:
                    throw new DataFormatException(source, "expected {\"op\":\"upsert\",\"items\":[...]} or {\"op\":\"remove\",\"item_ids\":[...]}");
            }
        }
    }
}
