using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Karma.Core.Package;

/// <summary>
/// Reads and writes the package's item catalog (ITEM_TABLES.md): JSON lines, one object per item in
/// item-table row order, with <c>item_id</c>, <c>category</c> and optional <c>title</c>.
/// </summary>
public static class ItemCatalogFile
{
    /// <summary>The conventional file name inside a model package.</summary>
    public const string FileName = "item_catalog.jsonl";

    /// <summary>
    /// Writes the catalog, one line per entry in the given (row) order, via a temporary file renamed over
    /// <paramref name="path"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An entry has a blank id or category, or an id repeats.</exception>
    public static void Write(string path, IEnumerable<ItemCatalogEntry> entries)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(entries);
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var seen = new Dictionary<string, int>(StringComparer.Ordinal);
                var buffer = new ArrayBufferWriter<byte>(256);
                var options = new JsonWriterOptions
                {
                    Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
                };
                int row = 0;
                foreach (var entry in entries)
                {
                    ArgumentNullException.ThrowIfNull(entry, nameof(entries));
                    if (string.IsNullOrWhiteSpace(entry.ItemId))
                    {
                        throw new ArgumentException($"entry {row} has a blank item_id", nameof(entries));
                    }

                    if (string.IsNullOrWhiteSpace(entry.Category))
                    {
                        throw new ArgumentException($"entry {row} ('{entry.ItemId}') has a blank category", nameof(entries));
                    }

                    if (!seen.TryAdd(entry.ItemId, row))
                    {
                        throw new ArgumentException(
                            $"entry {row} repeats item_id '{entry.ItemId}' of entry {seen[entry.ItemId]}", nameof(entries));
                    }

                    buffer.ResetWrittenCount();
                    using (var w = new Utf8JsonWriter(buffer, options))
                    {
                        w.WriteStartObject();
                        w.WriteString("item_id", entry.ItemId);
                        w.WriteString("category", entry.Category);
                        if (entry.Title is not null)
                        {
                            w.WriteString("title", entry.Title);
                        }

                        w.WriteEndObject();
                    }

                    stream.Write(buffer.WrittenSpan);
                    stream.WriteByte((byte)'\n');
                    row++;
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Reads a catalog. Every line must be one item; blank lines are errors (they would shift rows).</summary>
    /// <exception cref="InvalidDataException">
    /// A line is malformed or repeats an id; the message is <c>file:line: reason</c>.
    /// </exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static ItemCatalog Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var ids = new List<string>();
        var categories = new List<string>();
        var titles = new List<string?>();
        var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
        long lineNo = 0;
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true,
            new FileStreamOptions { Access = FileAccess.Read, Share = FileShare.Read | FileShare.Delete, BufferSize = 1 << 16 });
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                throw Bad(path, lineNo, "blank line; every line must be one item, in table row order");
            }

            var (id, category, title) = ParseLine(line, path, lineNo);
            if (!indexOf.TryAdd(id, ids.Count))
            {
                throw Bad(path, lineNo, $"duplicate item_id '{id}' (first on line {indexOf[id] + 1})");
            }

            ids.Add(id);
            categories.Add(category);
            titles.Add(title);
        }

        return new ItemCatalog([.. ids], [.. categories], [.. titles], indexOf);
    }

    private static (string Id, string Category, string? Title) ParseLine(string line, string path, long lineNo)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw Bad(path, lineNo, $"not valid JSON ({e.Message})");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad(path, lineNo, $"expected a JSON object, found {root.ValueKind}");
            }

            string id = String(root, "item_id", required: true, path, lineNo)!;
            string category = String(root, "category", required: true, path, lineNo)!;
            string? title = String(root, "title", required: false, path, lineNo);
            return (id, category, title);
        }
    }

    private static string? String(JsonElement root, string name, bool required, string path, long lineNo)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return required ? throw Bad(path, lineNo, $"missing required field '{name}'") : null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            throw Bad(path, lineNo, $"'{name}' must be a string, found {v.ValueKind}");
        }

        string s = v.GetString()!;
        if (required && string.IsNullOrWhiteSpace(s))
        {
            throw Bad(path, lineNo, $"'{name}' is blank");
        }

        return s;
    }

    private static InvalidDataException Bad(string path, long line, string reason) => new($"{path}:{line}: {reason}");
}
