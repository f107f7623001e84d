using Karma.Core.Package;
using System.Numerics.Tensors;
using Karma.Core.Text;
using Microsoft.ML.OnnxRuntime;

namespace Karma.Serving.Core.Inference;

/// <summary>A word an interest embedding decodes to, with its probability under the decoder.</summary>
public readonly record struct DecodedWord(string Word, float Probability);

/// <summary>What an interest embedding decodes to: the greedy text and the likeliest words, most probable first.</summary>
public sealed record DecodedInterest(string Text, IReadOnlyList<DecodedWord> Words);

/// <summary>
/// Reads an interest embedding through L_rec's decoder (the package's <c>decoder.onnx</c>): the train-only head that
/// keeps h_t semantically recoverable, shipped so a caller can see what an embedding means. Greedy decoding runs the
/// graph once per token (no key/value cache: the decoded text is at most the model's item-text length, and the
/// backbone is small), so Explain costs tens of user-tower runs; Search never calls it. Thread-safe.
/// </summary>
public sealed class InterestDecoder : IDisposable
{
    /// <summary>Graph input and output names (the exporter's contract).</summary>
    public const string InterestInput = TowerNames.Interest, IdsInput = TowerNames.DecoderIds, LogitsOutput = TowerNames.NextTokenLogits;

    private readonly InferenceSession _session;
    private readonly BpeTokenizer _tokenizer;
    private readonly RunOptions _run = new();
    private readonly string[] _pieces;
    private readonly bool[] _endsWord;
    private readonly bool[] _wholeWord;

    private InterestDecoder(InferenceSession session, BpeTokenizer tokenizer, int dimensions)
    {
        _session = session;
        _tokenizer = tokenizer;
        Dimensions = dimensions;
        int v = tokenizer.VocabSize;
        _pieces = new string[v];
        _endsWord = new bool[v];
        _wholeWord = new bool[v];
        for (int id = SpecialTokens.Count; id < v; id++)
        {
            string token = tokenizer.TokenText(id);
            _endsWord[id] = token.EndsWith(BpeTokenizer.EndOfWord, StringComparison.Ordinal);
            _pieces[id] = _endsWord[id] ? token[..^BpeTokenizer.EndOfWord.Length] : token;
            _wholeWord[id] = _endsWord[id] && IsWord(_pieces[id]);
        }
    }

    /// <summary>Width of the interest embeddings it reads.</summary>
    public int Dimensions { get; }

    /// <summary>
    /// Wraps a loaded decoder session after checking its signature (interest [B, D], decoder ids [B, L] → logits [B, V]);
    /// adds a problem and returns null when it does not fit the package.
    /// </summary>
    public static InterestDecoder? Create(InferenceSession session, BpeTokenizer tokenizer, int dimensions, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(problems);
        if (!Model.GraphContract.CheckDecoder(session, dimensions, tokenizer.VocabSize, problems))
        {
            return null;
        }

        return new InterestDecoder(session, tokenizer, dimensions);
    }

    /// <summary>
    /// Decodes a unit interest embedding: greedy text of at most <paramref name="maxTokens"/> tokens, and the
    /// <paramref name="topWords"/> likeliest words. A word's probability is the largest the decoder gave it at a word
    /// boundary of the greedy path: a one-token word's probability there, or the product of its tokens' for the
    /// greedy path's own longer words.
    /// </summary>
    public DecodedInterest Decode(ReadOnlySpan<float> interest, int maxTokens, int topWords)
    {
        if (interest.Length != Dimensions)
        {
            throw new ArgumentException($"interest has {interest.Length} values, the decoder reads {Dimensions}", nameof(interest));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(topWords, 1);
        float[] input = interest.ToArray();
        var ids = new List<long>(maxTokens + 1) { SpecialTokens.Bos }; // column 0: the graph's placeholder for the prefix token
        var probabilities = new float[_pieces.Length];
        var best = new Dictionary<string, float>(StringComparer.Ordinal);
        var decoded = new List<int>(maxTokens);
        var word = new System.Text.StringBuilder();
        double wordProbability = 1;
        for (int step = 0; step < maxTokens; step++)
        {
            NextToken(input, ids, probabilities);
            if (word.Length == 0)
            {
                for (int id = SpecialTokens.Count; id < probabilities.Length; id++)
                {
                    if (_wholeWord[id])
                    {
                        Offer(best, _pieces[id], probabilities[id]);
                    }
                }
            }

            int next = ArgMax(probabilities);
            if (next == SpecialTokens.Eos)
            {
                break;
            }

            decoded.Add(next);
            ids.Add(next);
            word.Append(_pieces[next]);
            wordProbability *= probabilities[next];
            if (_endsWord[next])
            {
                if (IsWord(word.ToString()))
                {
                    Offer(best, word.ToString(), (float)wordProbability);
                }

                word.Clear();
                wordProbability = 1;
            }
        }

        var words = best.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(topWords)
            .Select(kv => new DecodedWord(kv.Key, kv.Value)).ToList();
        return new DecodedInterest(_tokenizer.Decode(decoded.ToArray()), words);
    }

    /// <summary>The words of a text as the decoder spells them (normalised, split as the tokenizer splits words).</summary>
    public IReadOnlySet<string> WordsOf(string text)
        => string.IsNullOrWhiteSpace(text)
            ? new HashSet<string>(StringComparer.Ordinal)
            : _tokenizer.Decode(_tokenizer.Encode(text)).Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(IsWord).ToHashSet(StringComparer.Ordinal);

    /// <summary>Runs the graph over the tokens so far and writes the next token's distribution.</summary>
    private void NextToken(float[] interest, List<long> ids, float[] probabilities)
    {
        long[] tokens = ids.ToArray();
        using var interestValue = OrtValue.CreateTensorValueFromMemory(interest, [1, interest.Length]);
        using var idsValue = OrtValue.CreateTensorValueFromMemory(tokens, [1, tokens.Length]);
        using var results = _session.Run(_run, [InterestInput, IdsInput], [interestValue, idsValue], [LogitsOutput]);
        TensorPrimitives.SoftMax(results[0].GetTensorDataAsSpan<float>(), probabilities);
    }

    /// <summary>The likeliest token the decoder may emit: a text token or end of sequence, never another special token.</summary>
    private static int ArgMax(float[] probabilities)
    {
        int best = SpecialTokens.Eos;
        for (int id = SpecialTokens.Count; id < probabilities.Length; id++)
        {
            if (probabilities[id] > probabilities[best])
            {
                best = id;
            }
        }

        return best;
    }

    private static void Offer(Dictionary<string, float> best, string word, float probability)
    {
        if (!best.TryGetValue(word, out float p) || probability > p)
        {
            best[word] = probability;
        }
    }

    /// <summary>A word worth showing: it has a letter or a digit (not punctuation alone).</summary>
    private static bool IsWord(string text) => text.Length > 1 && (text.AsSpan().IndexOfAnyInRange('0', '9') >= 0 || text.Any(char.IsLetter));

    /// <inheritdoc />
    public void Dispose()
    {
        _run.Dispose();
        _session.Dispose();
    }
}
