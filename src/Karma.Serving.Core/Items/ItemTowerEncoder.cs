using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Serving.Core.Model;
using Microsoft.ML.OnnxRuntime;

namespace Karma.Serving.Core.Items;

/// <summary>
/// Embeds catalog items with the package's item tower, exactly as the exporter computed the package's tables: the
/// item's token text through the package tokenizer (cut to the model's item length, [UNK] when empty), its raw image
/// feature, its hashed id bucket and, for a model with a frozen text encoder, the sentence embedding of its text.
/// Gives each item its history token [d] (what the user tower reads for it in a history) and its unit retrieval
/// embedding [D]. Thread-safe.
/// </summary>
public sealed class ItemTowerEncoder
{
    /// <summary>Items per item-tower run.</summary>
    public const int BatchSize = 256;

    private readonly ModelPackage _package;
    private readonly InferenceSession _session;
    private readonly int _tokens, _image, _buckets, _d, _dim;
    private readonly bool _textEmbedding;

    private ItemTowerEncoder(ModelPackage package, InferenceSession session)
    {
        _package = package;
        _session = session;
        var m = package.Manifest;
        _tokens = m.Limits.MaxItemTokens;
        _image = m.Dimensions.ImageDim;
        _buckets = m.Dimensions.IdBuckets;
        _d = m.Dimensions.DModel;
        _dim = m.Dimensions.EmbedDim;
        _textEmbedding = session.InputMetadata.ContainsKey(TowerNames.ItemTextEmbedding);
    }

    /// <summary>The encoder of a package, or null with the reason when the package cannot embed new items.</summary>
    public static ItemTowerEncoder? For(ModelPackage package, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(package);
        reason = null;
        if (package.ItemTower is not { } session)
        {
            reason = "the package has no item tower (item_tower.onnx), so it cannot embed new items";
            return null;
        }

        if (session.InputMetadata.ContainsKey(TowerNames.ItemTextEmbedding) && package.QueryText is null)
        {
            reason = "the item tower reads a text encoder's embedding, but the package has no text encoder";
            return null;
        }

        return new ItemTowerEncoder(package, session);
    }

    /// <summary>What is wrong with <paramref name="item"/> for this model (null when nothing), naming the field.</summary>
    public string? Problem(Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (_image > 0 && item.ImageEmbedding is null)
        {
            return $"image_embedding is missing; the model reads {_image} numbers";
        }

        if (_image > 0 && item.ImageEmbedding!.Length != _image)
        {
            return $"image_embedding has {item.ImageEmbedding.Length} numbers; the model reads {_image}";
        }

        if (item.ImageEmbedding is { } image && !image.All(float.IsFinite))
        {
            return "image_embedding holds a value that is not a finite number";
        }

        return null;
    }

    /// <summary>History tokens [N, d] and retrieval embeddings [N, D] of the items, row-major, in order.</summary>
    /// <exception cref="ArgumentException">An item has a <see cref="Problem"/>.</exception>
    public (float[] HistoryTokens, float[] Embeddings) Encode(IReadOnlyList<Item> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        for (int i = 0; i < items.Count; i++)
        {
            if (Problem(items[i]) is { } problem)
            {
                throw new ArgumentException($"items[{i}] ('{items[i].ItemId}'): {problem}", nameof(items));
            }
        }

        var history = new float[(long)items.Count * _d];
        var embeddings = new float[(long)items.Count * _dim];
        for (int start = 0; start < items.Count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, items.Count - start);
            Run(items, start, n, history.AsSpan(start * _d, n * _d), embeddings.AsSpan(start * _dim, n * _dim));
        }

        return (history, embeddings);
    }

    private void Run(IReadOnlyList<Item> items, int start, int n, Span<float> history, Span<float> embeddings)
    {
        var ids = new long[n * _tokens];
        var mask = new float[n * _tokens];
        var buckets = new long[n];
        var image = new float[n * Math.Max(_image, 1)];
        var texts = new List<int[]>(_textEmbedding ? n : 0);
        for (int i = 0; i < n; i++)
        {
            var item = items[start + i];
            int[] tokens = ItemInputs.TokenIds(_package.Tokenizer, item, _tokens);
            for (int j = 0; j < tokens.Length; j++)
            {
                ids[(i * _tokens) + j] = tokens[j];
                mask[(i * _tokens) + j] = 1f;
            }

            buckets[i] = ItemInputs.IdBucket(item.ItemId, _buckets);
            if (_image > 0)
            {
                item.ImageEmbedding!.CopyTo(image, i * _image);
            }

            if (_textEmbedding)
            {
                texts.Add(_package.QueryText!.Tokenize(ItemInputs.SentenceText(item)));
            }
        }

        var names = new List<string>(5) { TowerNames.ItemTextIds, TowerNames.ItemTextMask };
        var values = new List<OrtValue>(5);
        try
        {
            values.Add(OrtValue.CreateTensorValueFromMemory(ids, [n, _tokens]));
            values.Add(OrtValue.CreateTensorValueFromMemory(mask, [n, _tokens]));
            if (_textEmbedding)
            {
                float[][] sentences = _package.QueryText!.EmbedUncached(texts);
                int width = sentences[0].Length;
                var flat = new float[n * width];
                for (int i = 0; i < n; i++)
                {
                    sentences[i].CopyTo(flat, i * width);
                }

                names.Add(TowerNames.ItemTextEmbedding);
                values.Add(OrtValue.CreateTensorValueFromMemory(flat, [n, width]));
            }

            if (_session.InputMetadata.ContainsKey(TowerNames.ItemImage))
            {
                names.Add(TowerNames.ItemImage);
                values.Add(OrtValue.CreateTensorValueFromMemory(image, [n, _image]));
            }

            if (_session.InputMetadata.ContainsKey(TowerNames.ItemIdBucket))
            {
                names.Add(TowerNames.ItemIdBucket);
                values.Add(OrtValue.CreateTensorValueFromMemory(buckets, [n]));
            }

            using var options = new RunOptions();
            using var outputs = _session.Run(options, names, values, [TowerNames.HistoryToken, TowerNames.Embedding]);
            outputs[0].GetTensorDataAsSpan<float>().CopyTo(history);
            outputs[1].GetTensorDataAsSpan<float>().CopyTo(embeddings);
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }
}
