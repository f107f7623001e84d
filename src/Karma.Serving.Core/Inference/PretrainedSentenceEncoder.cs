using System.Numerics.Tensors;
using Karma.Core.Text;
using Karma.Serving.Core.Model;
using Microsoft.ML.OnnxRuntime;

namespace Karma.Serving.Core.Inference;

/// <summary>
/// Sentence embeddings from a pretrained BERT-layout ONNX graph (inputs <c>input_ids</c>, <c>attention_mask</c>,
/// <c>token_type_ids</c>; output <c>last_hidden_state</c>): the mean of the hidden states over each text's tokens,
/// scaled to unit length, the same pooling the trainer's frozen encoder uses. For query text at request time; one
/// session, thread-safe.
/// </summary>
public sealed class PretrainedSentenceEncoder : IDisposable
{
    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private static readonly string[] OutputNames = ["last_hidden_state"];

    private readonly InferenceSession _session;
    private readonly PretrainedTokenizer _tokenizer;
    private readonly int _maxTokens;

    /// <summary>Creates the session over the graph's bytes.</summary>
    public PretrainedSentenceEncoder(byte[] model, PretrainedTokenizer tokenizer, SessionThreading threading, int maxTokens = 32)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(threading);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _maxTokens = maxTokens;
        using var options = new SessionOptions();
        threading.Apply(options);
        _session = new InferenceSession(model, options);
        var output = _session.OutputMetadata.TryGetValue(OutputNames[0], out var meta) ? meta
            : throw new InvalidDataException($"the text encoder graph has no output {OutputNames[0]}");
        Dimensions = (int)output.Dimensions[^1];
    }

    /// <summary>Width of the embeddings.</summary>
    public int Dimensions { get; }

    /// <summary>The encoder's input for a text: WordPiece ids between [CLS] and [SEP], cut to the encoder's token limit.</summary>
    public int[] Tokenize(string text) => _tokenizer.Encode(text ?? string.Empty, _maxTokens);

    /// <summary>One unit-length embedding per text, in order, from one run over the batch (padded to its longest text).</summary>
    public float[][] Encode(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return EncodeTokens(texts.Select(Tokenize).ToArray());
    }

    /// <summary>One unit-length embedding per tokenized text (<see cref="Tokenize"/>), in order, from one run over the batch.</summary>
    public float[][] EncodeTokens(IReadOnlyList<int[]> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return [];
        }

        int n = ids.Count, width = ids.Max(i => i.Length);
        var flatIds = new long[n * width];
        var mask = new long[n * width];
        for (int b = 0; b < n; b++)
        {
            for (int t = 0; t < width; t++)
            {
                bool token = t < ids[b].Length;
                flatIds[(b * width) + t] = token ? ids[b][t] : _tokenizer.PadId;
                mask[(b * width) + t] = token ? 1 : 0;
            }
        }

        long[] shape = [n, width];
        using var idValue = OrtValue.CreateTensorValueFromMemory(flatIds, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(new long[n * width], shape);
        using var run = new RunOptions();
        using var outputs = _session.Run(run, InputNames, [idValue, maskValue, typeValue], OutputNames);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        int d = Dimensions;
        var result = new float[n][];
        for (int b = 0; b < n; b++)
        {
            var sum = new float[d];
            for (int t = 0; t < ids[b].Length; t++)
            {
                TensorPrimitives.Add(sum, hidden.Slice(((b * width) + t) * d, d), sum);
            }

            TensorPrimitives.Divide(sum, Math.Max(TensorPrimitives.Norm(sum), 1e-12f), sum);
            result[b] = sum;
        }

        return result;
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
