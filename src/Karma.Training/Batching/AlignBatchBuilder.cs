using System.Collections.Concurrent;
using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Core.Text;
using Karma.Training.Configuration;
using Karma.Training.Objectives;
using Karma.Training.Pretrained;
using static TorchSharp.torch;

namespace Karma.Training.Batching;

/// <summary>
/// Lays out stage-2 sequences with <see cref="InterestSequence"/> (the layout the service uses too):
/// <c>[BOS] [ITEM]×history [SEP] query… [INT]</c>, followed for L_gen by the target
/// item's text and <c>[EOS]</c>. Causal attention keeps h_t (the state at [INT]) blind to the appended text,
/// so one forward pass gives both the interest embedding and the generation loss.
/// </summary>
public sealed class AlignBatchBuilder
{
    private readonly ItemFeatures _items;
    private readonly BpeTokenizer _tokenizer;
    private readonly ModelConfig _config;
    private readonly int _hardNegatives;
    private readonly double _historyDropout;
    private readonly TextInputs? _text;
    private readonly ConcurrentDictionary<string, int[]> _queryCache = new(StringComparer.Ordinal);

    /// <summary>Creates the builder.</summary>
    /// <param name="items">The catalog as tensors.</param>
    /// <param name="tokenizer">Query tokenizer.</param>
    /// <param name="config">Model sizes and limits.</param>
    /// <param name="hardNegatives">Hard negatives per example.</param>
    /// <param name="historyDropout">
    /// Training only (batches built with an RNG): probability that an example with a query is shown without its
    /// history, so the tower must read the query by itself and a history pointing elsewhere cannot drown it.
    /// </param>
    /// <param name="text">The frozen text encoder's query embeddings; required exactly when the model has a text encoder.</param>
    public AlignBatchBuilder(ItemFeatures items, BpeTokenizer tokenizer, ModelConfig config, int hardNegatives, double historyDropout = 0,
        TextInputs? text = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.HasTextEncoder != text is not null)
        {
            throw new ArgumentException(config.HasTextEncoder
                ? $"the model reads {config.TextEncoder} query embeddings; pass the text inputs"
                : "the model has no text encoder, yet text inputs were given", nameof(text));
        }

        _text = text;
        ArgumentOutOfRangeException.ThrowIfNegative(historyDropout);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(historyDropout, 1.0);
        _items = items;
        _tokenizer = tokenizer;
        _config = config;
        _hardNegatives = hardNegatives;
        _historyDropout = historyDropout;
    }

    /// <summary>Query tokens, truncated to the model's limit (cached: queries repeat a lot).</summary>
    public int[] QueryTokens(string? query)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            return [];
        }

        return _queryCache.GetOrAdd(query, q =>
        {
            var ids = _tokenizer.Encode(q);
            return ids.Length > _config.MaxQueryTokens ? ids[.._config.MaxQueryTokens] : ids;
        });
    }

    /// <summary>Builds a batch; <paramref name="rng"/> picks hard negatives when an example has more than needed.</summary>
    public AlignBatch Build(IReadOnlyList<InteractionExample> examples, bool withGen, Random? rng)
    {
        ArgumentNullException.ThrowIfNull(examples);
        int b = examples.Count, h = _hardNegatives;
        var items = new BatchItems();
        var sequences = new ExampleSequence[b];
        var interestPos = new long[b];
        var targetLocal = new long[b];
        var targetItem = new long[b];
        var negLocal = new long[b * h];
        var negValid = new bool[b * h];
        for (int e = 0; e < b; e++)
        {
            var ex = examples[e];
            sequences[e] = Sequence(ex, withGen, rng, items);
            interestPos[e] = sequences[e].InterestPosition;
            targetItem[e] = ex.Target;
            targetLocal[e] = items.Local(ex.Target);
            var negs = ex.HardNegatives;
            if (negs.Length > h && rng is not null)
            {
                negs = [.. negs];
                rng.Shuffle(negs);
            }

            for (int j = 0; j < h && j < negs.Length; j++)
            {
                negLocal[e * h + j] = items.Local(negs[j]);
                negValid[e * h + j] = true;
            }
        }

        int t = sequences.Max(s => s.Tokens.Count);
        var (texts, recLabels, maxText) = TextTargets(examples);
        return new AlignBatch
        {
            UniqueItems = tensor(items.Catalog.ToArray()),
            Tokens = tensor(Padded(sequences, s => s.Tokens, t, 0), [b, t]),
            HistorySlot = tensor(Padded(sequences, s => s.Slots, t, 0), [b, t]),
            InterestPosition = tensor(interestPos),
            GenLabels = withGen ? tensor(Padded(sequences, s => s.GenLabels!, t, Losses.IgnoreIndex), [b, t]) : null,
            TargetLocal = tensor(targetLocal),
            TargetItem = tensor(targetItem),
            HardNegativeLocal = tensor(negLocal, [b, h]),
            HardNegativeValid = tensor(negValid, [b, h]),
            TargetText = tensor(texts, [b, maxText]),
            RecLabels = tensor(recLabels, [b, maxText + 1]),
            QueryEmbedding = _text?.Queries(examples.Select(e => e.Query)),
        };
    }

    /// <summary>
    /// One example's tokens, history slots and (for L_gen) labels: the layout up to [INT], then the target's text and
    /// [EOS] with each position labelled by the token after it. <paramref name="rng"/> may drop the history (history dropout).
    /// </summary>
    private ExampleSequence Sequence(InteractionExample ex, bool withGen, Random? rng, BatchItems items)
    {
        int start = Math.Max(0, ex.History.Length - _config.MaxHistory);
        int historyCount = ex.History.Length - start;
        int[] query = QueryTokens(ex.Query);
        if (rng is not null && _historyDropout > 0 && query.Length > 0 && rng.NextDouble() < _historyDropout)
        {
            historyCount = 0;
        }

        var layout = new long[InterestSequence.Length(historyCount, query.Length)];
        long interestAt = InterestSequence.Layout(historyCount, query, layout);
        var tokens = new List<long>(layout.Length + _config.MaxItemTokens + 1);
        tokens.AddRange(layout);
        var slots = new List<long>(new long[layout.Length]);
        for (int i = 0; i < historyCount; i++)
        {
            slots[InterestSequence.FirstHistoryPosition + i] = items.Local(ex.History[start + i]) + 1;
        }

        if (!withGen)
        {
            return new ExampleSequence(tokens, slots, null, interestAt);
        }

        var text = _items.TextTokens[ex.Target];
        var labels = new List<long>(tokens.Count + text.Length + 1);
        labels.AddRange(Enumerable.Repeat(Losses.IgnoreIndex, tokens.Count - 1));
        foreach (int token in text)
        {
            labels.Add(token); // the previous position predicts this token
            tokens.Add(token);
            slots.Add(0);
        }

        labels.Add(SpecialTokens.Eos); // the last text token predicts [EOS]
        labels.Add(Losses.IgnoreIndex); // nothing follows the final position
        tokens.Add(SpecialTokens.Eos);
        slots.Add(0);
        return new ExampleSequence(tokens, slots, labels, interestAt);
    }

    /// <summary>Rows of one field of every sequence, right-padded with <paramref name="pad"/> to width <paramref name="width"/>: [B × T].</summary>
    private static long[] Padded(ExampleSequence[] sequences, Func<ExampleSequence, List<long>> field, int width, long pad)
    {
        var values = new long[sequences.Length * width];
        Array.Fill(values, pad);
        for (int e = 0; e < sequences.Length; e++)
        {
            field(sequences[e]).CopyTo(values, e * width);
        }

        return values;
    }

    /// <summary>L_rec's targets: each example's target text [B × L] (padded) and its labels [B × (L+1)], the text then [EOS].</summary>
    private (long[] Texts, long[] Labels, int MaxText) TextTargets(IReadOnlyList<InteractionExample> examples)
    {
        int b = examples.Count;
        int maxText = examples.Max(e => _items.TextTokens[e.Target].Length);
        var texts = new long[b * maxText];
        var labels = new long[b * (maxText + 1)];
        Array.Fill(labels, Losses.IgnoreIndex);
        for (int e = 0; e < b; e++)
        {
            var text = _items.TextTokens[examples[e].Target];
            for (int i = 0; i < text.Length; i++)
            {
                texts[e * maxText + i] = text[i];
                labels[e * (maxText + 1) + i] = text[i];
            }

            labels[e * (maxText + 1) + text.Length] = SpecialTokens.Eos;
        }

        return (texts, labels, maxText);
    }

    /// <summary>One example laid out: tokens, history slots (0, or k+1 for batch item k), L_gen labels (or null) and [INT]'s position.</summary>
    private sealed record ExampleSequence(List<long> Tokens, List<long> Slots, List<long>? GenLabels, long InterestPosition);

    /// <summary>The items a batch touches, each encoded once: catalog index → position in <see cref="Catalog"/>, in order of first use.</summary>
    private sealed class BatchItems
    {
        private readonly Dictionary<int, int> _local = [];

        public List<long> Catalog { get; } = [];

        public int Local(int item)
        {
            if (!_local.TryGetValue(item, out int k))
            {
                k = Catalog.Count;
                _local[item] = k;
                Catalog.Add(item);
            }

            return k;
        }
    }
}
