using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Karma.Core.Text;

public sealed partial class BpeTokenizer
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes <c>tokenizer.json</c> (format in TOKENIZER.md); written to a temporary file first, then moved into place.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string temp = path + ".tmp";
        File.WriteAllText(temp, ToJson(), Utf8NoBom);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Reads and validates a tokenizer file; throws <see cref="InvalidDataException"/> naming the problem.</summary>
    public static BpeTokenizer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string json;
        try
        {
            json = File.ReadAllText(path, Utf8NoBom);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"tokenizer file '{path}': not valid UTF-8 ({e.Message})", e);
        }

        try
        {
            return FromJson(json);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"tokenizer file '{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// The file contents: one vocabulary entry or merge per line, LF line ends, only the characters
    /// JSON requires escaped (plus non-BMP characters as surrogate-pair escapes), so identical
    /// tokenizers give byte-identical files.
    /// </summary>
    public string ToJson()
    {
        var json = new StringBuilder(_vocab.Length * 16 + _merges.Length * 24);
        json.Append("{\n");
        json.Append("  \"format\": ").Append(Quote(FormatId)).Append(",\n");
        json.Append("  \"version\": ").Append(FormatVersion).Append(",\n");
        json.Append("  \"normalization\": ").Append(Quote(NormalizationId)).Append(",\n");
        json.Append("  \"end_of_word\": ").Append(Quote(EndOfWord)).Append(",\n");
        json.Append("  \"special_tokens\": [").AppendJoin(", ", SpecialTokens.Texts.Select(Quote)).Append("],\n");
        json.Append("  \"vocab\": [\n");
        for (int id = 0; id < _vocab.Length; id++)
        {
            json.Append("    ").Append(Quote(_vocab[id])).Append(id + 1 < _vocab.Length ? ",\n" : "\n");
        }

        json.Append("  ],\n");
        json.Append("  \"merges\": [\n");
        for (int rank = 0; rank < _merges.Length; rank++)
        {
            var (left, right) = _merges[rank];
            json.Append("    [").Append(Quote(_vocab[left])).Append(", ").Append(Quote(_vocab[right]))
                .Append(rank + 1 < _merges.Length ? "],\n" : "]\n");
        }

        json.Append("  ]\n");
        json.Append("}\n");
        return json.ToString();
    }

    /// <summary>Parses and validates the contents of a tokenizer file.</summary>
    public static BpeTokenizer FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"expected a JSON object, found {root.ValueKind}");
            }

            string format = RequiredString(root, "format");
            if (format != FormatId)
            {
                throw new InvalidDataException($"unsupported format '{format}' (expected '{FormatId}')");
            }

            var version = Required(root, "version");
            if (version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out int v) || v != FormatVersion)
            {
                throw new InvalidDataException($"unsupported version {version.GetRawText()} (expected {FormatVersion})");
            }

            string normalization = RequiredString(root, "normalization");
            if (normalization != NormalizationId)
            {
                throw new InvalidDataException($"unsupported normalization '{normalization}' (expected '{NormalizationId}')");
            }

            string endOfWord = RequiredString(root, "end_of_word");
            if (endOfWord != EndOfWord)
            {
                throw new InvalidDataException($"unsupported end_of_word '{endOfWord}' (expected '{EndOfWord}')");
            }

            var specials = StringArray(Required(root, "special_tokens"), "special_tokens");
            for (int id = 0; id < SpecialTokens.Count; id++)
            {
                string expected = SpecialTokens.Texts[id];
                if (id >= specials.Length || specials[id] != expected)
                {
                    throw new InvalidDataException(
                        $"missing special token {expected}: special_tokens[{id}] must be '{expected}' but is " +
                        (id < specials.Length ? $"'{specials[id]}'" : "absent"));
                }
            }

            if (specials.Length != SpecialTokens.Count)
            {
                throw new InvalidDataException($"special_tokens has {specials.Length} entries, expected {SpecialTokens.Count}");
            }

            string[] vocab = StringArray(Required(root, "vocab"), "vocab");
            var mergesElement = Required(root, "merges");
            if (mergesElement.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("'merges' must be an array");
            }

            var merges = new (string, string)[mergesElement.GetArrayLength()];
            int rank = 0;
            foreach (var merge in mergesElement.EnumerateArray())
            {
                if (merge.ValueKind != JsonValueKind.Array || merge.GetArrayLength() != 2
                    || merge[0].ValueKind != JsonValueKind.String || merge[1].ValueKind != JsonValueKind.String)
                {
                    throw new InvalidDataException($"merge #{rank} must be an array of two strings, found {merge.GetRawText()}");
                }

                merges[rank++] = (GetString(merge[0], $"merge #{rank}"), GetString(merge[1], $"merge #{rank}"));
            }

            return new BpeTokenizer(vocab, merges);
        }
    }

    private static JsonElement Required(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? value : throw new InvalidDataException($"missing field '{name}'");

    private static string RequiredString(JsonElement root, string name)
    {
        var value = Required(root, name);
        return value.ValueKind == JsonValueKind.String
            ? GetString(value, $"'{name}'")
            : throw new InvalidDataException($"'{name}' must be a string, found {value.ValueKind}");
    }

    private static string[] StringArray(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"'{name}' must be an array of strings, found {element.ValueKind}");
        }

        var result = new string[element.GetArrayLength()];
        int i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"{name}[{i}] must be a string, found {item.GetRawText()}");
            }

            result[i] = GetString(item, $"{name}[{i}]");
            i++;
        }

        return result;
    }

    private static string GetString(JsonElement element, string what)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{what} is not a valid string ({e.Message})", e);
        }
    }

    private static string Quote(string text) =>
        "\"" + JsonEncodedText.Encode(text, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString() + "\"";
}
