# LR range test (curvtrack lrfind): smoothed training loss against the learning rate, with the
# suggestions marked. Regenerate the figures in this folder with: gnuplot lrfind.gp
set datafile separator ','
set datafile missing 'nan'
set logscale x
set format x '%.0e'
set xlabel 'learning rate'
set ylabel 'training loss (smoothed, debiased)'
set yrange [*:2.9806058929868433]
set grid
set key below
set title "LR range test (exp): smith -> 0.174" noenhanced
set arrow from 0.17378008287493762, graph 0 to 0.17378008287493762, graph 1 nohead dt 1 lw 2 lc rgb '#e6ab02'
set label "smith 0.174 (chosen)" at 0.17378008287493762, graph 0.95 offset 0.5,0 tc rgb '#e6ab02' noenhanced
set arrow from 0.02089296130854041, graph 0 to 0.02089296130854041, graph 1 nohead dt 2 lw 1 lc rgb '#1b9e77'
set label "minimum/10 0.0209" at 0.02089296130854041, graph 0.89 offset 0.5,0 tc rgb '#1b9e77' noenhanced
set arrow from 0.019054607179632484, graph 0 to 0.019054607179632484, graph 1 nohead dt 2 lw 1 lc rgb '#d95f02'
set label "steep 0.0191" at 0.019054607179632484, graph 0.83 offset 0.5,0 tc rgb '#d95f02' noenhanced
set arrow from 0.00047863009232263848, graph 0 to 0.00047863009232263848, graph 1 nohead dt 2 lw 1 lc rgb '#7570b3'
set label "valley 0.000479" at 0.00047863009232263848, graph 0.77 offset 0.5,0 tc rgb '#7570b3' noenhanced
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size 900,600 } else { set terminal png size 900,600 }
set output 'lrfind.png'
plot 'lrfind.csv' using 2:3 skip 1 with points pt 7 ps 0.3 lc rgb '#bbbbbb' title 'batch loss', \
     '' using 2:4 skip 1 with lines lw 2 lc rgb '#222222' title 'smoothed loss'
set terminal svg size 900,600 dynamic
set output 'lrfind.svg'
replot
set output
