# LR range test (curvtrack lrfind): smoothed training loss against the learning rate, with the
# suggestions marked. Regenerate the figures in this folder with: gnuplot lrfind.gp
set datafile separator ','
set datafile missing 'nan'
set xlabel 'learning rate'
set ylabel 'training loss (smoothed, debiased)'
set yrange [*:2.6251679658889771]
set grid
set key below
set title "LR range test (linear): smith -> 0.196" noenhanced
set arrow from 0.29308709175738723, graph 0 to 0.29308709175738723, graph 1 nohead dt 2 lw 1 lc rgb '#e6ab02'
set label "smith (loss) 0.293" at 0.29308709175738723, graph 0.95 offset 0.5,0 tc rgb '#e6ab02' noenhanced
set arrow from 0.030551632970451013, graph 0 to 0.030551632970451013, graph 1 nohead dt 2 lw 1 lc rgb '#1b9e77'
set label "minimum/10 0.0306" at 0.030551632970451013, graph 0.89 offset 0.5,0 tc rgb '#1b9e77' noenhanced
set arrow from 0.43990746500777606, graph 0 to 0.43990746500777606, graph 1 nohead dt 2 lw 1 lc rgb '#d95f02'
set label "steep 0.44" at 0.43990746500777606, graph 0.83 offset 0.5,0 tc rgb '#d95f02' noenhanced
set arrow from 0.18200077760497668, graph 0 to 0.18200077760497668, graph 1 nohead dt 2 lw 1 lc rgb '#7570b3'
set label "valley 0.182" at 0.18200077760497668, graph 0.77 offset 0.5,0 tc rgb '#7570b3' noenhanced
set arrow from 0.19598367029548988, graph 0 to 0.19598367029548988, graph 1 nohead dt 1 lw 2 lc rgb '#a6761d'
set label "smith (accuracy) 0.196 (chosen)" at 0.19598367029548988, graph 0.71 offset 0.5,0 tc rgb '#a6761d' noenhanced
set arrow from 0.2332713841368585, graph 0 to 0.2332713841368585, graph 1 nohead dt 2 lw 1 lc rgb '#e7298a'
set label "accuracy peak 0.233" at 0.2332713841368585, graph 0.65 offset 0.5,0 tc rgb '#e7298a' noenhanced
set y2label 'validation accuracy (held-out training images)'
set y2tics
set ytics nomirror
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size 900,600 } else { set terminal png size 900,600 }
set output 'lrfind.png'
plot 'lrfind.csv' using 2:3 skip 1 with points pt 7 ps 0.3 lc rgb '#bbbbbb' title 'batch loss', \
     '' using 2:4 skip 1 with lines lw 2 lc rgb '#222222' title 'smoothed loss', \
     '' using 2:5 skip 1 axes x1y2 with linespoints pt 6 lc rgb '#e7298a' title 'validation accuracy'
set terminal svg size 900,600 dynamic
set output 'lrfind.svg'
replot
set output
