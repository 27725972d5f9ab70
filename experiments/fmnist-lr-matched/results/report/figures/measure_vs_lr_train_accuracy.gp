# train accuracy against the mean effective learning rate
# written by curvtrack report: reads measure_vs_lr_train_accuracy.dat and writes measure_vs_lr_train_accuracy.svg and measure_vs_lr_train_accuracy.png.
# Restyle freely and regenerate with: gnuplot measure_vs_lr_train_accuracy.gp
set encoding utf8
set terminal svg size 860,500 dynamic noenhanced font 'Sans,12' background rgb 'white'
set output 'measure_vs_lr_train_accuracy.svg'
set datafile missing 'nan'
set title 'train accuracy against the mean effective learning rate'
set xlabel 'mean effective learning rate, mean of lr / (1 - momentum) (log scale)'
set ylabel 'train accuracy (log scale)'
set logscale xy
set grid
set key below
set style fill transparent solid 0.2 noborder
plot 'measure_vs_lr_train_accuracy.dat' index 3 using 3:4 with points pt 7 ps 0.4 lc rgb '#b0666666' title 'runs', \
     '' index 0 using 2:4:5 with filledcurves lc rgb '#1b9e77' title 'constant rate: 95% CI over seeds', \
     '' index 0 using 2:3 with linespoints pt 7 lw 2 lc rgb '#1b9e77' title 'constant rate (geometric mean)', \
     '' index 1 using 2:3:4:5 with yerrorbars pt 9 ps 1.6 lw 2 lc rgb '#d95f02' title '1cycle (95% CI)', \
     '' index 1 using 2:(int(column(0)) % 2 == 0 ? $3 * 1.12 : $3 / 1.12):1 with labels offset 1.2,0 left font ',9' tc rgb '#444444' notitle, \
     '' index 2 using 2:3:4:5 with yerrorbars pt 4 ps 1.6 lw 2 lc rgb '#7570b3' title 'weight decay (95% CI)', \
     '' index 2 using 2:(int(column(0)) % 2 == 0 ? $3 * 1.12 : $3 / 1.12):1 with labels offset -1.2,0 right font ',9' tc rgb '#444444' notitle
set terminal pngcairo size 1000,580 noenhanced font 'Sans,10' background rgb 'white'
set output 'measure_vs_lr_train_accuracy.png'
replot
unset output
