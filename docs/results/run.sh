#!/usr/bin/env bash
# The commands that produced docs/results/ (see docs/results/README.md for machine and times).
set -euo pipefail
out="${1:-docs/results}"
run() { echo "+ $*"; /usr/bin/time -f "  wall %e s" "$@"; }
run msae reproduce table3 --datasets usps,pendigits,ecoli --repeats 10 --workers 2 --threads 1 --out "$out"
run msae reproduce weights --datasets usps --repeats 1 --workers 2 --threads 1 --out "$out"
run msae reproduce sparsity --datasets usps --repeats 1 --workers 2 --threads 1 --out "$out"
run msae reproduce weights --datasets isolet --repeats 1 --workers 2 --threads 1 --out "$out"
# Pendigits: tune on a validation split (never the test set), then Table 3 with the choice.
run msae reproduce tune --datasets pendigits --set 'grid={"max_iter":[90,300]}' --workers 2 --threads 1 --out "$out/tuning"
run msae report --out "$out/tuning"
run msae reproduce table3 --datasets pendigits --repeats 10 --workers 2 --threads 1 --set hyper.pendigits.classifier_alpha=1e-8 --out "$out/pendigits-tuned"
run msae report --out "$out/pendigits-tuned"
run msae reproduce table3 --datasets isolet --repeats 10 --workers 2 --threads 1 --out "$out"
run msae reproduce sensitivity --datasets usps --repeats 1 --workers 2 --threads 1 --set 'lams=[1e-7,1e-5,1e-3,0.1,10]' --set 'betas=[1e-7,1e-5,1e-3,0.1,10]' --out "$out"
run msae report --out "$out"
run msae reproduce tune --datasets isolet --repeats 1 --workers 2 --threads 1 --out "$out/tuning"
run msae report --out "$out/tuning"
run msae reproduce sparsity --datasets pendigits,isolet --repeats 1 --workers 2 --threads 1 --out "$out"
run msae reproduce sensitivity --datasets usps --repeats 1 --workers 2 --threads 1 --out "$out"
g5='[1e-7,1e-5,1e-3,0.1,10]'
run msae reproduce sensitivity --datasets isolet --repeats 1 --workers 2 --threads 1 --set "lams=$g5" --set "betas=$g5" --out "$out"
# Stopped after 2 of its 9 runs, then resumed with the Wasserstein runs first (same run keys).
run msae reproduce sparsity --datasets fashion-mnist --repeats 1 --workers 2 --threads 1 --set 'sparsities=["wasserstein","kl","js"]' --out "$out"
# Stopped again after 8 of 9; the last run alone, with both cores.
run msae reproduce sparsity --datasets fashion-mnist --repeats 1 --workers 1 --threads 2 --set 'sparsities=["wasserstein","kl","js"]' --out "$out"
run msae report --out "$out"
run msae reproduce tune --datasets usps --repeats 2 --workers 2 --threads 1 --set 'grid={"classifier_alpha":[1e-2,1e-3,1e-4,1e-6]}' --out "$out/tuning"
run msae report --out "$out/tuning"
run msae reproduce sensitivity --datasets isolet --repeats 1 --workers 2 --threads 1 --out "$out"
run msae report --out "$out"
# Started in the time left of a session; runs cut short resume from their training checkpoints.
run msae reproduce table3 --datasets mnist --repeats 3 --workers 2 --threads 1 --out "$out"
# Carried on in the next session (twice: see README); resumed from the store and checkpoints.
run msae reproduce table3 --datasets mnist --repeats 3 --workers 2 --threads 1 --out "$out"
# Carried on in a new session on a fresh machine (2026-12-05, 05:42 UTC): the checkpoints of the
# runs cut short were gone, so they started again, LR21-MSAE first.
run msae reproduce table3 --datasets mnist --models lr21-msae,raw --repeats 3 --workers 2 --threads 1 --out "$out"
# Then two commands side by side, one core each (this machine was about 55 % slower than the
# last one): MNIST's LR21-MSAE validation accuracy against iterations (to see whether the
# paper's 500 is past the best point; the test set takes no part), and the last seed of the two
# cheapest Table 3 models.
run msae reproduce iterations --datasets mnist --models lr21-msae --repeats 1 --iterations 500 --validation 0.2 --set n_checkpoints=25 --workers 1 --threads 1 --out "$out/tuning" &
run msae reproduce table3 --datasets mnist --models ae,sae --repeats 3 --workers 1 --threads 1 --out "$out"
wait
run msae report --out "$out/tuning"
# With both cores free near the end of the session: VLSAE's last seed, one run on 2 threads.
run msae reproduce table3 --datasets mnist --models vlsae --repeats 3 --workers 1 --threads 2 --out "$out"
# A new session (2026-12-05, 08:31 UTC, the same machine): LR21-SAE's last two seeds, then
# MSAE's, two runs at a time, one core each.
run msae reproduce table3 --datasets mnist --models lr21-sae --repeats 3 --workers 2 --threads 1 --out "$out"
run msae reproduce table3 --datasets mnist --models msae --repeats 3 --workers 2 --threads 1 --out "$out"
# Then MNIST's LR21-MSAE on the test set with the number of iterations at which its validation
# curve peaked (180 of 500: tuning/report.md), 2 seeds (a third did not fit in the session),
# into a folder of its own (other settings than the paper's).
run msae reproduce table3 --datasets mnist --models lr21-msae --repeats 2 --set hyper.mnist.max_iter=180 --workers 2 --threads 1 --out "$out/mnist-tuned"
run msae report --out "$out/mnist-tuned"
# With 45 minutes of the session left, the VAE's last two seeds; a session that ends first
# leaves their training checkpoints, from which the same command carries on.
run msae reproduce table3 --datasets mnist --models vae --repeats 3 --workers 2 --threads 1 --out "$out"
# Carried on at the start of the next session (2026-12-05, 11:01 UTC, the same machine) from
# the runs' iteration-30 checkpoints. Beside them, one core's share: supervised fine-tuning
# (fine_tune_iter, off in the paper's pipeline) on USPS's validation split, to choose its
# number of iterations.
run msae reproduce table3 --datasets mnist --models vae --repeats 3 --workers 2 --threads 1 --out "$out" &
run msae reproduce tune --datasets usps --models lr21-msae,sae,ae --repeats 2 --set 'grid={"classifier_alpha":[1e-4],"fine_tune_iter":[0,50,200]}' --workers 1 --threads 1 --out "$out/finetune-tuning"
run msae report --out "$out/finetune-tuning"
# Then two more lengths between those (the report pools both grids).
run msae reproduce tune --datasets usps --models lr21-msae,sae,ae --repeats 2 --set 'grid={"classifier_alpha":[1e-4],"fine_tune_iter":[25,100]}' --workers 1 --threads 1 --out "$out/finetune-tuning"
run msae report --out "$out/finetune-tuning"
# USPS's test set with the fine-tuning length each model did best with there (10 seeds;
# finetune-tuning/report.md: LR21-MSAE 25, SAE 50, AE 200), in a folder of its own. The raw
# softmax takes no fine-tuning; it runs with the first command for the floor.
run msae reproduce table3 --datasets usps --models lr21-msae,raw --repeats 10 --fine-tune-iter 25 --workers 1 --threads 1 --out "$out/usps-finetuned"
run msae reproduce table3 --datasets usps --models sae --repeats 10 --fine-tune-iter 50 --workers 1 --threads 1 --out "$out/usps-finetuned"
run msae reproduce table3 --datasets usps --models ae --repeats 10 --fine-tune-iter 200 --workers 1 --threads 1 --out "$out/usps-finetuned"
run msae report --out "$out/usps-finetuned"
# Then, still beside the VAE runs, MNIST's LR21-MSAE on its validation split (180 iterations,
# as chosen in tuning/), fine-tuned after training and scored after each length.
run msae reproduce iterations --datasets mnist --models lr21-msae --repeats 1 --iterations 180 --validation 0.2 --set n_checkpoints=1 --set 'fine_tune_lengths=[25,50,100,200]' --workers 1 --threads 1 --out "$out/finetune-tuning"
run msae report --out "$out/finetune-tuning"
# With 50 minutes of the session left: MNIST's LR21-MSAE on the test set with the fine-tuning
# length that did best there (100), 1 seed; a session that ends first leaves its training
# checkpoint, from which the same command (with --repeats 3 for all seeds) carries on.
run msae reproduce table3 --datasets mnist --models lr21-msae --repeats 1 --set hyper.mnist.max_iter=180 --fine-tune-iter 100 --workers 1 --threads 1 --out "$out/mnist-finetuned"
run msae report --out "$out/mnist-finetuned"
wait
# Sixth session (2026-12-05 from 13:53 UTC, a fresh machine: 2 cores of an Intel Xeon):
# Fashion-MNIST's Table 3 with the paper's settings, as two processes sharing the store (1
# thread each): the long VAE with the two short models, the four others with the raw floor.
# Each did seed 0 first, then the same models with --repeats 3 (the store skips seed 0).
# Seeds vary before models, so each finishes a seed for all its models before the next.
# So that seed 1 would be complete before the session ended, each --repeats 3 command was
# stopped by hand once its seed-1 runs were done, before VLSAE's seed 1 in the second one,
# and VLSAE's seed 1 (with the raw softmax's) ran on the first core instead. The two
# --repeats 3 commands carry on with seed 2 (and VLSAE's seed 2).
(
  run msae reproduce table3 --datasets fashion-mnist --models vae,ae,sae --repeats 1 --workers 1 --threads 1 --out "$out"
  run msae reproduce table3 --datasets fashion-mnist --models vae,ae,sae --repeats 3 --workers 1 --threads 1 --out "$out"
  run msae reproduce table3 --datasets fashion-mnist --models vlsae,raw --repeats 2 --workers 1 --threads 1 --out "$out"
) &
(
  run msae reproduce table3 --datasets fashion-mnist --models lr21-msae,msae,lr21-sae,vlsae,raw --repeats 1 --workers 1 --threads 1 --out "$out"
  run msae reproduce table3 --datasets fashion-mnist --models lr21-msae,msae,lr21-sae,vlsae,raw --repeats 3 --workers 1 --threads 1 --out "$out"
) &
wait
run msae report --out "$out"
# Then, with 17 minutes of the session left, seed 2 of the two shortest models, one process
# each (the --repeats 3 commands above skip them when they carry on).
run msae reproduce table3 --datasets fashion-mnist --models ae --repeats 3 --workers 1 --threads 1 --out "$out" &
run msae reproduce table3 --datasets fashion-mnist --models sae --repeats 3 --workers 1 --threads 1 --out "$out" &
wait
run msae report --out "$out"
# Seventh session (2026-12-05 from 16:51 UTC, the sixth's machine): seed 2 of the other five
# Fashion-MNIST models and the raw floor, the VAE on one core and the rest on the other (the
# store skips every finished run, so these --repeats 3 commands run seed 2 only); then on each
# core as it came free the last runs of the MNIST side folders: LR21-MSAE's third seed at 180
# iterations, and seeds 1 and 2 of its fine-tuned runs (seed=S with --repeats 1 runs seed S
# alone, so that the two processes do not both take seed 1).
(
  run msae reproduce table3 --datasets fashion-mnist --models vae --repeats 3 --workers 1 --threads 1 --out "$out"
  run msae reproduce table3 --datasets mnist --models lr21-msae --repeats 3 --set hyper.mnist.max_iter=180 --workers 1 --threads 1 --out "$out/mnist-tuned"
  run msae reproduce table3 --datasets mnist --models lr21-msae --repeats 1 --set seed=1 --set hyper.mnist.max_iter=180 --fine-tune-iter 100 --workers 1 --threads 1 --out "$out/mnist-finetuned"
) &
(
  run msae reproduce table3 --datasets fashion-mnist --models lr21-msae,msae,lr21-sae,vlsae,raw --repeats 3 --workers 1 --threads 1 --out "$out"
  run msae reproduce table3 --datasets mnist --models lr21-msae --repeats 1 --set seed=2 --set hyper.mnist.max_iter=180 --fine-tune-iter 100 --workers 1 --threads 1 --out "$out/mnist-finetuned"
) &
wait
run msae report --out "$out"
run msae report --out "$out/mnist-tuned"
run msae report --out "$out/mnist-finetuned"
# Then, with both cores free: MNIST's LR21-MSAE on its validation split, a softmax with each L2
# (1e-4, the default, and the four below) fitted at every 20th iteration up to 300. It ran with
# --out "$out/tuning"; its row was then moved into a store of its own (sqlite3 delete/copy by
# run key), so that tuning/'s Fig. 7 does not average two runs of different lengths.
run msae reproduce iterations --datasets mnist --models lr21-msae --repeats 1 --iterations 300 --validation 0.2 --set n_checkpoints=15 --set 'classifier_alphas=[1e-2,1e-3,1e-6,1e-8]' --workers 1 --threads 1 --out "$out/mnist-l2-tuning"
run msae report --out "$out/mnist-l2-tuning"
# Then the same for AE and SAE, side by side.
run msae reproduce iterations --datasets mnist --models ae,sae --repeats 1 --iterations 300 --validation 0.2 --set n_checkpoints=15 --set 'classifier_alphas=[1e-2,1e-3,1e-6,1e-8]' --workers 2 --threads 1 --out "$out/mnist-l2-tuning"
run msae report --out "$out/mnist-l2-tuning"
# Eighth session. A check of the one difference the L2 run left unexplained: MNIST's
# LR21-MSAE for 40 iterations on the same validation split, no extra softmax L2s, scored at
# iteration 20, beside the two commands below (3 runs on 2 cores). Its iteration-20 accuracy is
# to be compared with the 300-iteration run above (same machine) and the 500-iteration run in
# tuning/ (an AMD EPYC machine). It ran with --out in a scratch folder, and its store was then
# copied here unchanged; its output went to a file of its own, copied into run.log.
run msae reproduce iterations --datasets mnist --models lr21-msae --repeats 1 --iterations 40 --validation 0.2 --set n_checkpoints=2 --workers 1 --threads 1 --out "$out/mnist-rerun-check"
run msae report --out "$out/mnist-rerun-check"
# The softmax-L2 validation run for the other four models, as two processes sharing the store:
# the VAE alone, and VLSAE, LR21-SAE and MSAE one after another.
run msae reproduce iterations --datasets mnist --models vae --repeats 1 --iterations 300 --validation 0.2 --set n_checkpoints=15 --set 'classifier_alphas=[1e-2,1e-3,1e-6,1e-8]' --workers 1 --threads 1 --out "$out/mnist-l2-tuning" &
run msae reproduce iterations --datasets mnist --models vlsae,lr21-sae,msae --repeats 1 --iterations 300 --validation 0.2 --set n_checkpoints=15 --set 'classifier_alphas=[1e-2,1e-3,1e-6,1e-8]' --workers 1 --threads 1 --out "$out/mnist-l2-tuning"
wait
run msae report --out "$out/mnist-l2-tuning"
# VLSAE was the one model whose validation run chose another softmax L2 (1e-6): its Table 3
# runs on the test set with it, one seed per process as the cores came free: seed 0 on the
# core the VAE freed, seed 1 on the one the MSAE run freed, and seed 2 on the first core again
# as soon as seed 0 was done (not after both, as written here).
run msae reproduce table3 --datasets mnist --models vlsae --repeats 1 --set hyper.mnist.classifier_alpha=1e-6 --workers 1 --threads 1 --out "$out/mnist-l2-tuned" --set seed=0 &
run msae reproduce table3 --datasets mnist --models vlsae --repeats 1 --set hyper.mnist.classifier_alpha=1e-6 --workers 1 --threads 1 --out "$out/mnist-l2-tuned" --set seed=1
wait
run msae reproduce table3 --datasets mnist --models vlsae --repeats 1 --set hyper.mnist.classifier_alpha=1e-6 --workers 1 --threads 1 --out "$out/mnist-l2-tuned" --set seed=2
run msae report --out "$out/mnist-l2-tuned"
# Last, AE, whose validation run chose 1e-8 (0.08 points above 1e-4 there): seeds 0 and 1
# side by side, then seed 2 alone on both cores (2 threads).
run msae reproduce table3 --datasets mnist --models ae --repeats 1 --set hyper.mnist.classifier_alpha=1e-8 --workers 1 --threads 1 --out "$out/mnist-l2-tuned" --set seed=0 &
run msae reproduce table3 --datasets mnist --models ae --repeats 1 --set hyper.mnist.classifier_alpha=1e-8 --workers 1 --threads 1 --out "$out/mnist-l2-tuned" --set seed=1
wait
run msae reproduce table3 --datasets mnist --models ae --repeats 1 --set hyper.mnist.classifier_alpha=1e-8 --workers 1 --threads 2 --out "$out/mnist-l2-tuned" --set seed=2
run msae report --out "$out/mnist-l2-tuned"
# Ninth session. MNIST's sensitivity, cut down to fit 2 CPU cores (the paper's 10 x 10 grid at
# full size is 100 runs of 40 minutes or more): the 5 x 5 sub-grid, a 10,000-row stratified
# subsample of the training set (the test set whole), and 180 iterations, where MNIST's
# LR21-MSAE validation curve peaked (tuning/). Not the paper's setting, so a folder of its own.
run msae reproduce sensitivity --datasets mnist --repeats 1 --workers 2 --threads 1 --set base.n_train=10000 --set hyper.mnist.max_iter=180 --set "lams=$g5" --set "betas=$g5" --out "$out/mnist-sensitivity-10k"
run msae report --out "$out/mnist-sensitivity-10k"
# Then the λ = 1e-2 row (the accuracy falls between λ = 1e-3 and 0.1), and the softmax on the raw
# pixels of the same 10,000 training rows (the floor; alone, 2 threads).
run msae reproduce sensitivity --datasets mnist --repeats 1 --workers 2 --threads 1 --set base.n_train=10000 --set hyper.mnist.max_iter=180 --set 'lams=[1e-2]' --set "betas=$g5" --out "$out/mnist-sensitivity-10k"
run msae reproduce table3 --datasets mnist --models raw --repeats 1 --workers 1 --threads 2 --set base.n_train=10000 --out "$out/mnist-sensitivity-10k"
run msae report --out "$out/mnist-sensitivity-10k"
# Last, the β = 1e-2 and β = 1 columns for λ ≤ 1e-3 (β = 0.1 was the best column: is its optimum
# narrow?).
run msae reproduce sensitivity --datasets mnist --repeats 1 --workers 2 --threads 1 --set base.n_train=10000 --set hyper.mnist.max_iter=180 --set 'lams=[1e-7,1e-5,1e-3]' --set 'betas=[1e-2,1.0]' --out "$out/mnist-sensitivity-10k"
run msae report --out "$out/mnist-sensitivity-10k"
# Tenth session (no GPU again). MNIST's sensitivity at the paper's size, begun: 60,000 images,
# 500 iterations, 1 seed, into the main store. The cross through the paper's best cell first, as
# two 1-thread processes sharing the store: λ = 1e-5 across β, and β = 0.1 down λ. A later
# session resumes both (a run cut part-way from its training checkpoint), then the rest of the
# grid: the same command without the --set lines runs the 100 cells, skipping those stored.
run msae reproduce sensitivity --datasets mnist --repeats 1 --workers 1 --threads 1 --set 'lams=[1e-5]' --set 'betas=[0.1,1e-7,10,1e-3,1e-5]' --out "$out" &
run msae reproduce sensitivity --datasets mnist --repeats 1 --workers 1 --threads 1 --set 'lams=[1e-7,1e-3,0.1,10]' --set 'betas=[0.1]' --out "$out" &
wait
run msae report --out "$out"
# When the β = 0.1 column was done, its core went on with the λ = 1e-3 row.
run msae reproduce sensitivity --datasets mnist --repeats 1 --workers 1 --threads 1 --set 'lams=[1e-3]' --set 'betas=[1e-7,10,1e-3,1e-5]' --out "$out"
# Eleventh session (no GPU again; a fresh machine, so the two MNIST runs in progress restarted
# from iteration 0). After 12 minutes both were stopped (kill -TERM) at their iteration-90
# checkpoints, to give the 2 cores to the figures not yet run at the paper's settings on the
# small datasets, one command after another; then both resumed from those checkpoints with the
# two commands above.
run msae reproduce per-class --datasets usps --workers 2 --threads 1 --out "$out"
run msae reproduce iterations --workers 2 --threads 1 --out "$out"
run msae reproduce hidden --workers 2 --threads 1 --out "$out"
run msae reproduce timing --datasets usps,isolet,pendigits,ecoli --workers 2 --threads 1 --out "$out"
run msae report --out "$out"
# Twelfth session (no GPU again; the same machine as the eleventh, so the checkpoints of its two
# λ = 100 cells were still there). Both resumed, one command each, and as each ended its core
# went on with Fig. 11, per-class accuracy on Fashion-MNIST, the two commands sharing the store.
(
  run msae reproduce sensitivity --datasets mnist --repeats 1 --workers 1 --threads 1 --set 'lams=[100]' --set 'betas=[0.1]' --out "$out"
  run msae reproduce per-class --datasets fashion-mnist --models vae,vlsae,sae --workers 1 --threads 1 --out "$out"
) &
run msae reproduce sensitivity --datasets mnist --repeats 1 --workers 1 --threads 1 --set 'lams=[100]' --set 'betas=[10]' --out "$out"
run msae reproduce per-class --datasets fashion-mnist --models lr21-msae,msae,lr21-sae,ae --workers 1 --threads 1 --out "$out"
wait
run msae report --out "$out"
# Then, alone on the machine, the VAE's Fig. 16b runs again with its fused objective (commit
# 1b5e083), replacing the rows its autograd objective had made.
run msae reproduce timing --datasets usps,isolet,pendigits,ecoli --models vae --rerun --workers 2 --threads 1 --out "$out"
run msae report --out "$out"
# Last, the two MNIST sensitivity commands above (λ = 1e-5 across β, and λ = 1e-3 across β)
# carried on side by side; each stored one cell before the session ended.
# Thirteenth session (no GPU again; the same machine as the twelfth, so the two MNIST cells in
# progress resumed from their iteration-90 and iteration-80 checkpoints). The λ = 1e-5 command
# was started with the rest of its row and stopped (kill -TERM) once its first cell was stored;
# the λ = 1e-3 one was started the same way, stopped after 2 minutes at its iteration-90
# checkpoint, and started again with its one cell (run.log has the exact lines):
run msae reproduce sensitivity --datasets mnist --repeats 1 --workers 1 --threads 1 --set 'lams=[1e-5]' --set 'betas=[1e-5,1e-6,1e-4,1e-2,1,100]' --out "$out" &
run msae reproduce sensitivity --datasets mnist --repeats 1 --workers 1 --threads 1 --set 'lams=[1e-3]' --set 'betas=[1e-3]' --out "$out"
wait
# Then the rest of the 100 cells as one command, coarse to fine (commit 092625b: the corners,
# then the 3 x 3 sub-grid with 1e-3, the 4 x 4 with 1e-5, ...; part-way runs first).
run msae reproduce sensitivity --datasets mnist --repeats 1 --workers 2 --threads 1 --out "$out"
# At 10:17 UTC the grid command was stopped (kill -TERM) for about half an hour, to measure
# training with bfloat16 matrix products (commit e52f9e5, docs/performance.md): first
# `python bench/bench_step.py [--matmul-precision bf16]` on the quiet machine, then MNIST's
# LR21-MSAE (Table 3's settings, seed 0) with them, alone on 2 threads (the USPS runs below
# shared the cores for its first 5 minutes), into its own store:
run msae reproduce table3 --datasets mnist --models lr21-msae --repeats 1 --matmul-precision bf16 --workers 1 --threads 2 --out "$out/mnist-bf16" &
run msae reproduce table3 --datasets usps --models lr21-msae --repeats 10 --matmul-precision bf16 --workers 1 --threads 1 --out "$out/usps-bf16"
wait
# Then the grid command above resumed from its two checkpoints.
