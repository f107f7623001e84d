namespace Karma.Training.Pretrained;

/// <summary>Shape of a BERT-layout encoder (learned positions, post-LayerNorm, GELU).</summary>
public sealed record BertConfig(int Vocabulary, int Hidden, int Layers, int Heads, int Intermediate, int MaxPositions, double LayerNormEps)
{
    /// <summary>
    /// all-MiniLM-L6-v2: 6 layers, 384 wide, 12 heads of 32, feed-forward 1,536, 512 positions, bert-base-uncased's
    /// vocabulary. The head count is not in the weights; the parity test against the ONNX graph checks it.
    /// </summary>
    public static BertConfig MiniLmL6 { get; } = new(30522, 384, 6, 12, 1536, 512, 1e-12);
}
