using Karma.Training.Configuration;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Karma.Training.Modeling;

/// <summary>
/// Backbone, item encoder and heads. Serving needs <see cref="backbone"/>, <see cref="item_encoder"/> and
/// <see cref="interest_head"/>; <see cref="rec_prefix"/> and <see cref="image_head_in"/>/<see cref="image_head_out"/>
/// are the train-only decoders of L_rec and L_img.
/// </summary>
public sealed class KarmaModel : nn.Module
{
    /// <summary>The language-model backbone.</summary>
    public DecoderLM backbone;

    /// <summary>Item features → history token and retrieval embedding.</summary>
    public ItemEncoder item_encoder;

    /// <summary>Hidden state at [INT] → next-interest embedding h_t (normalised).</summary>
    public Linear interest_head;

    /// <summary>L_rec: maps h_t to the one continuous prefix token the backbone decodes the target text from.</summary>
    public Linear rec_prefix;

    /// <summary>L_img: regression head h_t → image feature (standardised).</summary>
    public Linear image_head_in, image_head_out;

    /// <summary>Creates the model; image statistics standardise features inside the item encoder.</summary>
    public KarmaModel(ModelConfig config, float[]? imageMean = null, float[]? imageStd = null) : base(nameof(KarmaModel))
    {
        config.Validate();
        Config = config;
        backbone = new DecoderLM(config);
        item_encoder = new ItemEncoder(config, imageMean, imageStd);
        interest_head = nn.Linear(config.DModel, config.EmbedDim);
        rec_prefix = nn.Linear(config.EmbedDim, config.DModel);
        image_head_in = nn.Linear(config.EmbedDim, 2 * config.EmbedDim);
        image_head_out = nn.Linear(2 * config.EmbedDim, Math.Max(config.ImageDim, 1));
        RegisterComponents();
    }

    /// <summary>The configuration.</summary>
    public ModelConfig Config { get; }

    /// <summary>Encodes items: see <see cref="ItemEncoder.Forward"/>.</summary>
    public (Tensor HistoryToken, Tensor Embedding) EncodeItems(Tensor tokens, Tensor mask, Tensor? image, Tensor? idBucket)
        => item_encoder.Forward(backbone.tok_embeddings, tokens, mask, image, idBucket);

    /// <summary>
    /// Runs an align sequence. tokens [B, T]; historySlot [B, T] (0 = a real token, k &gt; 0 = history item k-1 of
    /// <paramref name="historyTokens"/> [U, d]); interestPos [B]. Returns hidden states [B, T, d] and h_t [B, D].
    /// </summary>
    public (Tensor Hidden, Tensor Interest) EncodeSequence(Tensor tokens, Tensor historySlot, Tensor historyTokens,
        Tensor interestPos, List<Tensor>? probabilities = null)
    {
        using var scope = NewDisposeScope();
        var embeds = backbone.Embed(tokens);
        var table = cat([zeros(1, historyTokens.shape[1], device: historyTokens.device), historyTokens], 0);
        var slots = table.index_select(0, historySlot.flatten()).view(embeds.shape);
        var isHistory = historySlot.gt(0).unsqueeze(-1);
        var x = where(isHistory, slots, embeds);
        var hidden = backbone.Forward(x, probabilities);
        var rows = arange(tokens.shape[0], int64, tokens.device);
        var at = hidden[rows, interestPos];
        var interest = nn.functional.normalize(interest_head.forward(at), 2.0, -1);
        return (hidden.MoveToOuterDisposeScope(), interest.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// L_rec's decoder pass: [prefix(h_t)] followed by the target text tokens [B, L]; returns next-token logits
    /// [B, L+1, V] (position 0 predicts the first text token).
    /// </summary>
    public Tensor ReconstructLogits(Tensor interest, Tensor textTokens)
    {
        using var scope = NewDisposeScope();
        var prefix = rec_prefix.forward(interest).unsqueeze(1);
        var x = cat([prefix, backbone.Embed(textTokens)], 1);
        return backbone.Logits(backbone.Forward(x)).MoveToOuterDisposeScope();
    }

    /// <summary>L_img's head: h_t [B, D] → predicted standardised image feature [B, I].</summary>
    public Tensor PredictImage(Tensor interest)
        => image_head_out.forward(nn.functional.gelu(image_head_in.forward(interest)));
}
