using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Karma.Core.Data;

/// <summary>Reads and writes <c>items.jsonl</c>: one JSON object per line (docs/model.md, "Data format").</summary>
public static class ItemsJsonl
{
    /// <summary>The conventional file name inside a data directory.</summary>
    public const string FileName = "items.jsonl";

    /// <summary>Longest accepted text field, in characters; longer values are a format error.</summary>
    public const int MaxTextLength = 1 << 16;

    /// <summary>Reads every item. Bad lines throw or are skipped according to <paramref name="policy"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <param name="policy">Fail at the first bad line or skip it.</param>
    /// <param name="report">Receives skipped lines.</param>
    public static List<Item> Read(string path, BadRowPolicy policy, BadRowReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (!File.Exists(path))
        {
            throw new DataFormatException(path, "file not found");
        }

        var items = new List<Item>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int imageDim = -1;
        long lineNo = 0;
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                var item = Parse(line, path, lineNo);
                if (!seen.Add(item.ItemId))
                {
                    throw new DataFormatException(path, lineNo, $"duplicate item_id '{item.ItemId}'");
                }

                if (item.ImageEmbedding is { } emb)
                {
                    if (imageDim < 0)
                    {
                        imageDim = emb.Length;
                    }
                    else if (emb.Length != imageDim)
                    {
                        seen.Remove(item.ItemId);
                        throw new DataFormatException(path, lineNo,
                            $"ragged image_embedding: {emb.Length} numbers, earlier items have {imageDim}");
                    }
                }

                items.Add(item);
            }
            catch (DataFormatException e)
            {
                report.Handle(policy, e);
            }
        }

        return items;
    }

    /// <summary>One line of the format as an item; the <see cref="DataFormatException"/> names <paramref name="path"/>, the line and the field.</summary>
    /// <param name="line">One JSON object.</param>
    /// <param name="path">Where the line came from (a file, or e.g. a request), for the message.</param>
    /// <param name="lineNo">Its line (or position) there, for the message.</param>
    public static Item Parse(string line, string path, long lineNo)
    {
        ArgumentNullException.ThrowIfNull(line);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, lineNo, $"not valid JSON ({e.Message})");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new DataFormatException(path, lineNo, $"expected a JSON object, found {root.ValueKind}");
            }

            string id = RequiredString(root, "item_id", path, lineNo);
            string title = RequiredString(root, "title", path, lineNo);
            string category = RequiredString(root, "category", path, lineNo);
            string? description = OptionalString(root, "description", path, lineNo);
            string? brand = OptionalString(root, "brand", path, lineNo);
            double? price = null;
            if (root.TryGetProperty("price", out var p) && p.ValueKind != JsonValueKind.Null)
            {
                if (p.ValueKind != JsonValueKind.Number || !p.TryGetDouble(out double v) || !double.IsFinite(v) || v < 0)
                {
                    throw new DataFormatException(path, lineNo, $"price must be a non-negative number, found {p.GetRawText()}");
                }

                price = v;
            }

            float[]? image = null;
            if (root.TryGetProperty("image_embedding", out var e) && e.ValueKind != JsonValueKind.Null)
            {
                if (e.ValueKind != JsonValueKind.Array)
                {
                    throw new DataFormatException(path, lineNo, "image_embedding must be an array of numbers");
                }

                image = new float[e.GetArrayLength()];
                if (image.Length == 0)
                {
                    throw new DataFormatException(path, lineNo, "image_embedding is empty");
                }

                int i = 0;
                foreach (var x in e.EnumerateArray())
                {
                    if (x.ValueKind != JsonValueKind.Number || !x.TryGetDouble(out double d) || !double.IsFinite(d)
                        || Math.Abs(d) > float.MaxValue)
                    {
                        throw new DataFormatException(path, lineNo,
                            $"image_embedding[{i}] is not a finite number: {x.GetRawText()}");
                    }

                    image[i++] = (float)d;
                }
            }

            return new Item(id, title, description, category, brand, price, image);
        }
    }

    private static string RequiredString(JsonElement root, string name, string path, long lineNo)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            throw new DataFormatException(path, lineNo, $"missing required field '{name}'");
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            throw new DataFormatException(path, lineNo, $"'{name}' must be a string, found {v.ValueKind}");
        }

        string s = v.GetString()!;
        if (s.Trim().Length == 0)
        {
            throw new DataFormatException(path, lineNo, $"'{name}' is empty");
        }

        if (s.Length > MaxTextLength)
        {
            throw new DataFormatException(path, lineNo, $"'{name}' is longer than {MaxTextLength} characters");
        }

        return s;
    }

    private static string? OptionalString(JsonElement root, string name, string path, long lineNo)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            throw new DataFormatException(path, lineNo, $"'{name}' must be a string, found {v.ValueKind}");
        }

        string s = v.GetString()!;
        if (s.Length > MaxTextLength)
        {
            throw new DataFormatException(path, lineNo, $"'{name}' is longer than {MaxTextLength} characters");
        }

        return s;
    }

    /// <summary>Writes items one JSON object per line, fields in documented order, numbers in shortest round-trip form.</summary>
    public static void Write(string path, IEnumerable<Item> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        var buffer = new ArrayBufferWriter<byte>(4096);
        var options = new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        foreach (var item in items)
        {
            buffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(buffer, options))
            {
                WriteItem(w, item);
            }

            stream.Write(buffer.WrittenSpan);
            stream.WriteByte((byte)'\n');
        }
    }

    /// <summary>One item as one line of the format (no line break), the way <see cref="Write"/> writes it.</summary>
    public static string Format(Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteItem(w, item);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteItem(Utf8JsonWriter w, Item item)
    {
        w.WriteStartObject();
        w.WriteString("item_id", item.ItemId);
        w.WriteString("title", item.Title);
        if (item.Description is not null)
        {
            w.WriteString("description", item.Description);
        }

        w.WriteString("category", item.Category);
        if (item.Brand is not null)
        {
            w.WriteString("brand", item.Brand);
        }

        if (item.Price is { } price)
        {
            w.WriteNumber("price", price);
        }

        if (item.ImageEmbedding is { } emb)
        {
            w.WriteStartArray("image_embedding");
            foreach (float x in emb)
            {
                w.WriteNumberValue(x);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }
}
