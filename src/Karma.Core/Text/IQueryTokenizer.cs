namespace Karma.Core.Text;

/// <summary>
/// What the service needs of a package's tokenizer: a query's token ids (no special tokens added) and the vocabulary
/// size the user tower's embedding was built for. Implemented by our <see cref="BpeTokenizer"/> (<c>karma-bpe</c>) and
/// by <see cref="WordPieceTokenizer"/> (a BERT <c>vocab.txt</c>, for towers trained elsewhere).
/// </summary>
public interface IQueryTokenizer
{
    /// <summary>Tokens in the vocabulary.</summary>
    int VocabSize { get; }

    /// <summary>The ids of <paramref name="text"/>, nothing added.</summary>
    int[] Encode(string text);
}
