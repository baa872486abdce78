package troupe.actors;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.Behavior;
import troupe.diffusion.policy.ImageModel;
import troupe.trainers.model.Sampler;
import troupe.trainers.model.SamplingParams;
import troupe.trainers.policy.LanguageModel;
import troupe.trainers.policy.VersionedModel;
import troupe.v1.GenerateRequest;
import troupe.v1.GenerateResponse;
import troupe.v1.ImageSamples;
import troupe.v1.Rollout;
import troupe.v1.TokenSequence;
import troupe.v1.WorkerRequest;
import troupe.v1.WorkerResponse;

/**
 * An inference copy of the policy at a known weight version: samples G completions per prompt with log-probs, or G
 * image trajectories per prompt with per-transition log-probs.
 */
public final class RolloutWorker {
  private RolloutWorker() {}

  public static Behavior<WorkerAsk> create(NodeDataPlane dataPlane) {
    return Workers.behavior(WorkerRole.ROLLOUT, name -> new ReferenceWorker.ModelHandler(dataPlane) {
      @Override
      WorkerResponse.Builder serve(VersionedModel model, WorkerRequest request) {
        return switch (request.getKindCase()) {
          case GENERATE -> WorkerResponse.newBuilder()
              .setGenerated(generate(Workers.as(model, LanguageModel.class, request), request.getGenerate()));
          case SAMPLE_IMAGES -> {
            ImageSamples images = Workers.as(model, ImageModel.class, request).sample(request.getSampleImages());
            // Trajectories are large ([N, T+1, C, H, W]): an asker on another node fetches them over the data plane.
            yield request.getSampleImages().getPublish()
                ? WorkerResponse.newBuilder().setBlob(dataPlane.publishInSeries(request.getWorkflowId() + "/images",
                    images.getPolicyVersion(), images.toByteArray(), 8))
                : WorkerResponse.newBuilder().setImages(images);
          }
          default -> throw Workers.unsupported(WorkerRole.ROLLOUT, request);
        };
      }
    });
  }

  static GenerateResponse generate(LanguageModel model, GenerateRequest g) {
    if (g.getExpectVersion() != model.version()) {
      // Never sample with weights other than the ones the orchestrator is about to train on.
      throw new IllegalStateException("holds policy version " + model.version() + " but version "
          + g.getExpectVersion() + " was asked for");
    }
    long started = System.nanoTime();
    List<int[]> prompts = new ArrayList<>(g.getPromptsCount());
    for (TokenSequence p : g.getPromptsList()) {
      prompts.add(p.getPromptList().stream().mapToInt(Integer::intValue).toArray());
    }
    int samples = Math.max(1, g.getSamplesPerPrompt());
    SamplingParams params = new SamplingParams(g.getTemperature(), g.getTopP(), g.getMaxNewTokens(), g.getGreedy());
    List<Sampler.Generation> out = model.generate(prompts, samples, params, g.getSeed());
    GenerateResponse.Builder response = GenerateResponse.newBuilder().setPolicyVersion(model.version());
    for (int i = 0; i < out.size(); i++) {
      Sampler.Generation gen = out.get(i);
      Rollout.Builder r = Rollout.newBuilder().setPromptIndex(i / samples).setFinished(gen.finished())
          .addAllPrompt(g.getPrompts(i / samples).getPromptList())
          .setCompletionText(LanguageModel.TOKENIZER.decode(gen.tokens()));
      for (int t : gen.tokens()) {
        r.addCompletion(t);
      }
      for (float lp : gen.logProbs()) {
        r.addLogProbs(lp);
      }
      response.addRollouts(r);
    }
    return response.setSeconds((System.nanoTime() - started) / 1e9).build();
  }
}
