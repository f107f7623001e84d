using Microsoft.ML.Tokenizers;

namespace Karma.Core.Text;

/// <summary>
/// A BERT WordPiece vocabulary (<c>vocab.txt</c>: one token per line, line number = id) as a package tokenizer, for
/// user towers trained elsewhere (<c>karma package import</c>). Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>
/// does the work: lower-casing and accent stripping, splitting on spaces and punctuation, "##" continuations, [UNK]
/// for a word it cannot spell; the same rules as Hugging Face's BertTokenizer with <c>do_lower_case=True</c>.
/// </summary>
public sealed class WordPieceTokenizer : IQueryTokenizer
{
    /// <summary>The manifest's <c>tokenizer_format</c> for this kind.</summary>
    public const string FormatId = "wordpiece";

    /// <summary>The file name a package stores the vocabulary under.</summary>
    public const string FileName = "vocab.txt";

    private readonly BertTokenizer _tokenizer;
    private readonly Dictionary<string, int> _ids;

    private WordPieceTokenizer(BertTokenizer tokenizer, Dictionary<string, int> ids)
    {
        _tokenizer = tokenizer;
        _ids = ids;
    }

    /// <summary>Loads a vocabulary; errors name the file.</summary>
    /// <exception cref="InvalidDataException">The file is empty, repeats a token or lacks [UNK].</exception>
    public static WordPieceTokenizer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int line = 0;
        foreach (string token in File.ReadLines(path))
        {
            if (token.Length == 0 || token.Trim() != token)
            {
                throw new InvalidDataException($"{path}:{line + 1}: empty token or surrounding spaces (one token per line, line number = id)");
            }

            if (!ids.TryAdd(token, line))
            {
                throw new InvalidDataException($"{path}:{line + 1}: token '{token}' repeats line {ids[token] + 1}");
            }

            line++;
        }

        if (!ids.ContainsKey("[UNK]"))
        {
            throw new InvalidDataException($"{path}: no [UNK] token ({line} tokens); a WordPiece vocabulary needs one");
        }

        using var stream = File.OpenRead(path);
        return new WordPieceTokenizer(BertTokenizer.Create(stream), ids);
    }

    /// <inheritdoc />
    public int VocabSize => _ids.Count;

    /// <summary>The id of a token of the vocabulary (e.g. <c>[CLS]</c>), or null.</summary>
    public int? IdOf(string token) => _ids.TryGetValue(token, out int id) ? id : null;

    /// <inheritdoc />
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return [.. _tokenizer.EncodeToIds(text, addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true)];
    }
}
