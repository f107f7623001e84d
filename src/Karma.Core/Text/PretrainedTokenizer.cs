using Microsoft.ML.Tokenizers;

namespace Karma.Core.Text;

/// <summary>
/// The pretrained model's WordPiece tokenizer (Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/> over its
/// vocabulary: lower-casing, basic tokenization, "##" continuations), producing the ids the encoder was trained on.
/// </summary>
public sealed class PretrainedTokenizer
{
    private readonly BertTokenizer _tokenizer;

    /// <summary>Creates the tokenizer from a <c>vocab.txt</c> (one token per line, line number = id).</summary>
    public PretrainedTokenizer(byte[] vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        using var stream = new MemoryStream(vocabulary, writable: false);
        _tokenizer = BertTokenizer.Create(stream);
    }

    /// <summary>[CLS] id.</summary>
    public int ClsId => _tokenizer.ClassificationTokenId;

    /// <summary>[SEP] id.</summary>
    public int SepId => _tokenizer.SeparatorTokenId;

    /// <summary>[PAD] id.</summary>
    public int PadId => _tokenizer.PaddingTokenId;

    /// <summary>Ids of <paramref name="text"/> between [CLS] and [SEP], the word pieces cut to <paramref name="maxTokens"/> − 2.</summary>
    public int[] Encode(string text, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        var pieces = _tokenizer.EncodeToIds(text, addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true);
        int keep = Math.Min(pieces.Count, maxTokens - 2);
        var ids = new int[keep + 2];
        ids[0] = ClsId;
        for (int i = 0; i < keep; i++)
        {
            ids[i + 1] = pieces[i];
        }

        ids[^1] = SepId;
        return ids;
    }
}
